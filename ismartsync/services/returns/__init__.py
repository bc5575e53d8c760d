"""Returns, refunds and exchanges at the counter: a placed sale is never edited, what comes back is a return.

Modules, in the order a return runs through them:

- `reasons`: the merchant's return reasons (seeded at sign-up) and their edits;
- `quantities`: what is still returnable of each sale line, under the sale's row lock;
- `amounts`: the refund of each line, pro-rated from what was paid for it (pure, no database);
- `tenders`: how a refund goes back to the sale's tenders (pure allocation) and the checks on refunds a person chose;
- `store_credit`: the customer's store credit balance and its append-only ledger;
- `policy`: what needs a supervisor's approval (the window, another branch, the amount, no receipt) and its wording;
- `plan`: `plan_return` (what a return would refund and whether a supervisor approves, before anything is written;
  a return without a receipt at `lowest_price`);
- `record`: `record_return` (the one transaction: lines, refunds, cash out of the drawer, stock back through the
  ledger, the credit note, the audit);
- `exchange`: a return and a new sale in one ticket;
- `reading`: a sale's returns and one return, for their pages and documents; `settings`: the merchant's returns
  settings (window, other branches, refund limit).
"""
