"""Strict checks of an IMS POS invoice body per fbr.md §2.2 (schema), §2.3 (enumerations), §2.6 (credit notes)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

PAYMENT_MODES = {1: "Cash", 2: "Card", 3: "Gift Voucher", 4: "Loyalty Card", 5: "Mixed", 6: "Cheque"}  # §2.3
HEADER_TYPES = {1: "New", 2: "Debit", 3: "Credit"}  # §2.3
ITEM_TYPES = {1: "New", 3: "Credit", 11: "3rd Schedule New", 12: "3rd Schedule Credit"}  # §2.3
CREDIT_ITEM_TYPES = {3, 12}
TOLERANCE = 0.01

# (field, kind, required, max length); kinds: "int", "number", "str", "datetime", "list". §2.2 tables.
HEADER_FIELDS: list[tuple[str, str, bool, int | None]] = [
    ("InvoiceNumber", "str", False, 30),
    ("POSID", "int", True, None),
    ("USIN", "str", True, 50),
    ("RefUSIN", "str", False, 50),
    ("DateTime", "datetime", True, None),
    ("BuyerName", "str", False, 150),
    ("BuyerNTN", "str", False, 9),
    ("BuyerCNIC", "str", False, 13),
    ("BuyerPhoneNumber", "str", False, 20),
    ("TotalSaleValue", "number", True, None),
    ("TotalQuantity", "number", True, None),
    ("TotalTaxCharged", "number", True, None),
    ("Discount", "number", False, None),
    ("FurtherTax", "number", False, None),
    ("TotalBillAmount", "number", True, None),
    ("PaymentMode", "int", True, None),
    ("InvoiceType", "int", True, None),
    ("Items", "list", True, None),
]
ITEM_FIELDS: list[tuple[str, str, bool, int | None]] = [
    ("ItemCode", "str", True, 50),
    ("ItemName", "str", True, 150),
    ("PCTCode", "str", True, 8),
    ("Quantity", "number", True, None),
    ("TaxRate", "number", True, None),
    ("SaleValue", "number", True, None),
    ("Discount", "number", False, None),
    ("FurtherTax", "number", False, None),
    ("TaxCharged", "number", True, None),
    ("TotalAmount", "number", True, None),
    ("InvoiceType", "int", True, None),
    ("RefUSIN", "str", False, 50),
]
# (header total, item field) pairs that must agree within TOLERANCE (§2.2 notes; Discount/FurtherTax when sent).
TOTALS = [
    ("TotalSaleValue", "SaleValue"),
    ("TotalQuantity", "Quantity"),
    ("TotalTaxCharged", "TaxCharged"),
    ("TotalBillAmount", "TotalAmount"),
    ("Discount", "Discount"),
    ("FurtherTax", "FurtherTax"),
]
PCT_RE = re.compile(r"^[0-9]{8}$")  # the issue and PRAL samples: exactly 8 digits (fbr.md §2.2 says "at most")
CNIC_RE = re.compile(r"^[0-9]{13}$")
NTN_RE = re.compile(r"^[0-9]{7}-?[0-9]$|^[0-9]{9}$")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_fields(obj: dict[str, Any], spec: list[tuple[str, str, bool, int | None]], where: str) -> list[str]:
    errors = []
    known = {name for name, *_ in spec}
    lowered = {name.lower(): name for name in known}
    for key in obj:
        if key not in known:
            hint = f" (field names are PascalCase: {lowered[key.lower()]})" if key.lower() in lowered else ""
            errors.append(f"{where}{key}: unknown field{hint}")
    for name, kind, required, max_len in spec:
        value = obj.get(name)
        if value is None or (kind == "str" and required and value == ""):
            if required:
                errors.append(f"{where}{name}: is required")
            continue
        if kind == "int" and not _is_int(value):
            errors.append(f"{where}{name}: must be a JSON integer, got {type(value).__name__}")
        elif kind == "number" and not _is_number(value):
            errors.append(f"{where}{name}: must be a JSON number, got {type(value).__name__}")
        elif kind in ("str", "datetime") and not isinstance(value, str):
            errors.append(f"{where}{name}: must be a JSON string, got {type(value).__name__}")
        elif kind == "list" and not isinstance(value, list):
            errors.append(f"{where}{name}: must be a JSON array")
        elif kind == "str" and max_len is not None and len(value) > max_len:
            errors.append(f"{where}{name}: longer than {max_len} characters")
        elif kind == "datetime":
            try:
                datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
            except ValueError:
                errors.append(f"{where}{name}: must be 'yyyy-MM-dd HH:mm:ss'")
    return errors


def validate_invoice(body: Any, known_usins: set[str], credits: CreditHistory | None = None) -> list[str]:
    """Every problem with `body`, as readable strings; [] means acceptable. `known_usins`: this POSID's recorded
    USINs (a credit note's RefUSIN must be one of them); `credits`: for a credit note, what the invoice it refers to
    sold and what earlier credit notes against it took back (no item may be credited beyond what was sold)."""
    if not isinstance(body, dict):
        return ["body must be a JSON object"]
    errors = _check_fields(body, HEADER_FIELDS, "")
    if errors:
        return errors
    if body["POSID"] <= 0:
        errors.append("POSID: must be a positive integer")
    if body.get("InvoiceNumber"):
        errors.append("InvoiceNumber: must be empty (FBR fills it)")
    if body["PaymentMode"] not in PAYMENT_MODES:
        errors.append(f"PaymentMode: {body['PaymentMode']} is not one of {sorted(PAYMENT_MODES)}")
    if body["InvoiceType"] not in HEADER_TYPES:
        errors.append(f"InvoiceType: {body['InvoiceType']} is not one of {sorted(HEADER_TYPES)}")
    if body.get("BuyerCNIC") and not CNIC_RE.match(body["BuyerCNIC"]):
        errors.append("BuyerCNIC: must be 13 digits without dashes")
    if body.get("BuyerNTN") and not NTN_RE.match(body["BuyerNTN"]):
        errors.append("BuyerNTN: must look like 1234567-8")
    items = body["Items"]
    if not items:
        return [*errors, "Items: at least one item is required"]
    for i, item in enumerate(items):
        where = f"Items[{i}]."
        if not isinstance(item, dict):
            errors.append(f"Items[{i}]: must be a JSON object")
            continue
        item_errors = _check_fields(item, ITEM_FIELDS, where)
        errors += item_errors
        if item_errors:
            continue
        errors += _check_item(item, body, where)
    if errors:
        return errors
    errors += _check_totals(body)
    errors += _check_reference(body, known_usins)
    if not errors and credits is not None and body["InvoiceType"] == 3:
        errors += check_credited_quantities(body, credits)
    return errors


@dataclass(frozen=True)
class CreditHistory:
    """Per ItemCode: the quantity the referenced invoice sold, and what earlier credit notes against it credited."""

    sold: dict[str, float]
    credited: dict[str, float]


def check_credited_quantities(body: dict[str, Any], credits: CreditHistory) -> list[str]:
    """§2.6: a credit note takes back items of the invoice it refers to, never more of one than was sold, counting
    every earlier credit note against that invoice (sign-blind: §2.6's sign convention is [U])."""
    errors = []
    now: dict[str, float] = {}
    for item in body["Items"]:
        now[item["ItemCode"]] = now.get(item["ItemCode"], 0) + abs(item["Quantity"])
    for code, quantity in now.items():
        sold = credits.sold.get(code)
        if sold is None:
            errors.append(f"Items: {code!r} is not an item of invoice {body['RefUSIN']!r}")
            continue
        before = credits.credited.get(code, 0)
        if before + quantity > sold + TOLERANCE:
            errors.append(
                f"Items: {code!r} credited {before + quantity:g} in all, more than the {sold:g} sold on "
                f"{body['RefUSIN']!r}"
            )
    return errors


def _check_item(item: dict[str, Any], body: dict[str, Any], where: str) -> list[str]:
    errors = []
    if not PCT_RE.match(item["PCTCode"]):
        errors.append(f"{where}PCTCode: {item['PCTCode']!r} must be 8 digits, no dot (e.g. 61091000)")
    if item["InvoiceType"] not in ITEM_TYPES:
        errors.append(f"{where}InvoiceType: {item['InvoiceType']} is not one of {sorted(ITEM_TYPES)}")
    elif (body["InvoiceType"] == 3) != (item["InvoiceType"] in CREDIT_ITEM_TYPES):
        header = body["InvoiceType"]
        errors.append(f"{where}InvoiceType: {item['InvoiceType']} does not match header InvoiceType {header}")
    if not 0 <= item["TaxRate"] <= 100:
        errors.append(f"{where}TaxRate: must be a percentage between 0 and 100")
    if body["InvoiceType"] == 1 and item["Quantity"] <= 0:
        errors.append(f"{where}Quantity: must be positive on a new invoice")
    expected = item["SaleValue"] + item["TaxCharged"] + (item.get("FurtherTax") or 0)
    if abs(item["TotalAmount"] - expected) > TOLERANCE:
        total = item["TotalAmount"]
        errors.append(f"{where}TotalAmount: {total} is not SaleValue + TaxCharged + FurtherTax ({expected:.2f})")
    ref = item.get("RefUSIN")
    if ref and ref != body.get("RefUSIN"):
        errors.append(f"{where}RefUSIN: {ref!r} differs from the header RefUSIN")
    return errors


def _check_totals(body: dict[str, Any]) -> list[str]:
    errors = []
    for header, field in TOTALS:
        if header in ("Discount", "FurtherTax") and body.get(header) is None:
            continue
        total = sum(item.get(field) or 0 for item in body["Items"])
        if abs(body[header] - total) > TOLERANCE:
            errors.append(f"{header}: {body[header]} is not the sum of Items[].{field} ({total:.2f})")
    return errors


def _check_reference(body: dict[str, Any], known_usins: set[str]) -> list[str]:
    ref = body.get("RefUSIN")
    if body["InvoiceType"] == 3 and not ref:
        return ["RefUSIN: a credit note (InvoiceType 3) must give the original invoice's USIN"]
    if body["InvoiceType"] in (2, 3) and ref and ref not in known_usins:
        return [f"RefUSIN: {ref!r} is not an invoice recorded for POSID {body['POSID']}"]
    if ref and ref == body["USIN"]:
        return ["RefUSIN: must differ from USIN"]
    return []
