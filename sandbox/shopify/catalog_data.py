"""Word lists for the seeded catalog and customers: a Pakistani apparel and footwear retailer."""

from __future__ import annotations

from typing import NamedTuple

SIZES = ("S", "M", "L", "XL")
WOMEN_SIZES = ("XS", "S", "M", "L", "XL")
SHOE_SIZES = ("39", "40", "41", "42", "43", "44")
WOMEN_SHOE_SIZES = ("36", "37", "38", "39", "40", "41")
COLOURS = (
    "Maroon", "Bottle Green", "Mustard", "Off White", "Black", "Navy", "Teal", "Peach",
    "Sky Blue", "Rust", "Beige", "Fuchsia", "Olive", "Charcoal", "Ivory", "Mint",
)  # fmt: skip
SHOE_COLOURS = ("Black", "Brown", "Tan", "Maroon", "Golden", "Silver", "Mustard", "Off White")
MOTIFS = (
    "Gulbahar", "Noor", "Zarnigar", "Shahkaar", "Mehrunissa", "Rangrez", "Chandni", "Sitara", "Resham",
    "Kehkashan", "Saba", "Anarkali", "Mughal", "Sindhi", "Multani", "Chitrali", "Hunza", "Ravi", "Badshahi",
    "Shalimar", "Gulmohar", "Jharokha", "Phulkari", "Ajrak", "Bahar", "Naqsh", "Zeba", "Rimjhim",
)  # fmt: skip


class ProductKind(NamedTuple):
    product_type: str
    prefix: str
    vendors: tuple[str, ...]
    styles: tuple[str, ...]
    sizes: tuple[str, ...]
    colours: tuple[str, ...]
    max_colours: int
    price_range: tuple[int, int]
    tags: tuple[str, ...]
    weight: int


APPAREL = (
    ProductKind("Lawn Suit", "LWN", ("Noor Jahan Lawn", "Zari Studio"),
                ("Printed Lawn 3-Piece", "Embroidered Lawn 3-Piece", "Digital Print Lawn 2-Piece"),
                (), COLOURS, 4, (2990, 8990), ("women", "unstitched", "summer"), 6),
    ProductKind("Kurta", "KRT", ("Zari Men", "Karachi Threads"),
                ("Cotton Kurta", "Khaddar Kurta", "Wash & Wear Kurta", "Embroidered Kurta"),
                SIZES, COLOURS, 3, (2490, 6990), ("men", "kurta"), 5),
    ProductKind("Kurti", "KRI", ("Zari Studio", "Karachi Threads"),
                ("Printed Kurti", "Cambric Kurti", "Chikankari Kurti"),
                WOMEN_SIZES, COLOURS, 2, (1990, 5490), ("women", "pret"), 4),
    ProductKind("Shalwar Kameez", "SKZ", ("Zari Men", "Karachi Threads"),
                ("Wash & Wear Shalwar Kameez", "Cotton Shalwar Kameez", "Boski Shalwar Kameez"),
                SIZES, COLOURS, 2, (4490, 12990), ("men", "eastern"), 4),
    ProductKind("Formal Suit", "FRM", ("Zari Couture",),
                ("Chiffon Formal", "Organza Formal", "Silk Formal", "Velvet Formal"),
                ("S", "M", "L"), COLOURS, 2, (12500, 24500), ("women", "formal", "wedding"), 2),
    ProductKind("Waistcoat", "WST", ("Zari Men",),
                ("Jamawar Waistcoat", "Raw Silk Waistcoat"),
                SIZES, COLOURS, 2, (5990, 11990), ("men", "formal"), 2),
    ProductKind("Dupatta", "DPT", ("Zari Studio",),
                ("Chiffon Dupatta", "Phulkari Dupatta", "Lawn Dupatta"),
                (), COLOURS, 3, (1490, 4990), ("women", "accessories"), 2),
    ProductKind("Shawl", "SHL", ("Chitral Weaves",),
                ("Pashmina Shawl", "Karandi Shawl", "Kashmiri Shawl"),
                (), COLOURS, 3, (6990, 24500), ("winter", "accessories"), 1),
)  # fmt: skip

FOOTWEAR = (
    ProductKind("Khussa", "KHS", ("Lahori Khussa Co.", "Multan Crafts"),
                ("Tilla Khussa", "Mirror Work Khussa", "Plain Leather Khussa"),
                WOMEN_SHOE_SIZES, SHOE_COLOURS, 2, (2490, 5990), ("women", "footwear"), 3),
    ProductKind("Peshawari Chappal", "PCH", ("Peshawar Heritage",),
                ("Charsadda Chappal", "Kaptaan Chappal", "Norozi Chappal"),
                SHOE_SIZES, ("Brown", "Black", "Tan", "Mustard"), 2, (3990, 8990), ("men", "footwear"), 3),
    ProductKind("Sandals", "SDL", ("Sialkot Leather",),
                ("Leather Sandals", "Strap Sandals", "Comfort Sandals"),
                SHOE_SIZES, SHOE_COLOURS, 2, (2990, 6490), ("men", "footwear"), 2),
)  # fmt: skip

LOCATIONS = {
    "apparel": (
        ("Gulberg Store, Lahore", "45-C Main Boulevard, Gulberg III", "Lahore", "Punjab", "PB", "54660", True, True),
        ("DHA Phase 5 Store, Lahore", "Plot 112, CCA-2, DHA Phase 5", "Lahore", "Punjab", "PB", "54792", True, False),
        ("Warehouse", "Plot 23, Sundar Industrial Estate", "Lahore", "Punjab", "PB", "53700", True, True),
        ("Packages Mall Kiosk (closed)", "Packages Mall, Walton Road", "Lahore", "Punjab", "PB", "54760", False, False),
    ),
    "footwear": (
        ("Saddar Store, Karachi", "Shop 7, Zainab Market, Saddar", "Karachi", "Sindh", "SD", "74400", True, True),
        ("Clifton Warehouse, Karachi", "Plot 9, Block 5, Clifton", "Karachi", "Sindh", "SD", "75600", True, True),
    ),
}

MALE_NAMES = (
    "Ahmed",
    "Ali",
    "Bilal",
    "Hamza",
    "Usman",
    "Faisal",
    "Imran",
    "Kamran",
    "Zain",
    "Saad",
    "Omer",
    "Tariq",
    "Asad",
    "Junaid",
    "Waqas",
    "Haris",
    "Shahzaib",
    "Danish",
    "Fahad",
    "Naveed",
)
FEMALE_NAMES = (
    "Ayesha",
    "Fatima",
    "Sana",
    "Hira",
    "Mahnoor",
    "Zainab",
    "Amna",
    "Mehwish",
    "Rabia",
    "Sadia",
    "Nimra",
    "Iqra",
    "Maryam",
    "Khadija",
    "Saima",
    "Anum",
    "Sidra",
    "Bushra",
    "Komal",
    "Areeba",
)
LAST_NAMES = (
    "Khan",
    "Ahmed",
    "Malik",
    "Butt",
    "Chaudhry",
    "Qureshi",
    "Sheikh",
    "Raza",
    "Hussain",
    "Siddiqui",
    "Mirza",
    "Abbasi",
    "Javed",
    "Iqbal",
    "Rana",
    "Shah",
    "Baig",
    "Gillani",
    "Awan",
    "Memon",
)
CITIES = (
    ("Lahore", "Punjab", "PB", "54000"), ("Karachi", "Sindh", "SD", "74000"),
    ("Islamabad", "Islamabad Capital Territory", "IS", "44000"), ("Rawalpindi", "Punjab", "PB", "46000"),
    ("Faisalabad", "Punjab", "PB", "38000"), ("Multan", "Punjab", "PB", "60000"),
    ("Peshawar", "Khyber Pakhtunkhwa", "KP", "25000"), ("Sialkot", "Punjab", "PB", "51310"),
    ("Hyderabad", "Sindh", "SD", "71000"), ("Quetta", "Balochistan", "BA", "87300"),
)  # fmt: skip
STREETS = (
    "Street 4, Block B",
    "House 12, Lane 3",
    "Flat 5, Al-Noor Heights",
    "Mohalla Islamabad, Gali 7",
    "House 88, Sector F-8/2",
    "Plot 31, Canal View Society",
    "House 19-A, Model Town",
)
MAIL_DOMAINS = ("gmail.com", "yahoo.com", "hotmail.com", "outlook.com")
