#!/usr/bin/env python3
"""Labeled expense set for the learning benchmark (test/bench/accuracy.sh).

Writes CSV (transaction_date, description, merchant_name, amount, category,
household) to stdout: a year of card and bank statement lines for four
households (each shopping mostly in its own three cities),
bank style: processor prefixes (SQ *, TST*, PAYPAL *, POS, CHECKCARD),
store numbers, dates, masked card numbers, city and state suffixes,
bank abbreviations (WHOLEFDS, AMZN MKTP), truncation to the 22-character
card descriptor field, typos.  About 30% of the rows carry a clean
merchant_name, as aggregators deliver it; the rest have only the
description.  Labels use the sample starter set's category names.

Deterministic: the same seed gives the same file.

    python3 accuracy_data.py [rows] [seed] > expenses.csv
"""
import csv
import random
import sys
from datetime import datetime, timedelta

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 6000
SEED = int(sys.argv[2]) if len(sys.argv) > 2 else 42
rnd = random.Random(SEED)

CITIES = [
    ("SAN FRANCISCO", "CA"), ("OAKLAND", "CA"), ("BERKELEY", "CA"), ("SAN JOSE", "CA"),
    ("LOS ANGELES", "CA"), ("SANTA MONICA", "CA"), ("SEATTLE", "WA"), ("BELLEVUE", "WA"),
    ("PORTLAND", "OR"), ("DENVER", "CO"), ("BOULDER", "CO"), ("AUSTIN", "TX"),
    ("HOUSTON", "TX"), ("DALLAS", "TX"), ("CHICAGO", "IL"), ("EVANSTON", "IL"),
    ("NEW YORK", "NY"), ("BROOKLYN", "NY"), ("JERSEY CITY", "NJ"), ("BOSTON", "MA"),
    ("CAMBRIDGE", "MA"), ("MIAMI", "FL"), ("ORLANDO", "FL"), ("ATLANTA", "GA"),
    ("PHOENIX", "AZ"), ("TEMPE", "AZ"), ("MINNEAPOLIS", "MN"), ("ST PAUL", "MN"),
    ("PHILADELPHIA", "PA"), ("PITTSBURGH", "PA"), ("WALNUT CREEK", "CA"), ("FREMONT", "CA"),
]

# category -> [(canonical merchant, [bank aliases], amount range, channel, weight)]
# channel: store (card present, store numbers), small (Square/Toast style),
# online, bill (recurring), bank (ACH / transfers / fees)
M = {
    "Groceries": [
        ("Whole Foods Market", ["WHOLEFDS", "WHOLE FOODS MKT", "WHOLE FOODS MARKET"], (15, 180), "store", 9),
        ("Trader Joe's", ["TRADER JOE S", "TRADER JOES"], (10, 120), "store", 9),
        ("Safeway", ["SAFEWAY", "SAFEWAY STORE"], (8, 150), "store", 7),
        ("Kroger", ["KROGER", "KROGER FUEL CTR"], (10, 140), "store", 4),
        ("Berkeley Bowl", ["BERKELEY BOWL", "BERKELEY BOWL WEST"], (20, 110), "store", 5),
        ("Rainbow Grocery", ["RAINBOW GROCERY", "RAINBOW GROCERY COOP"], (15, 90), "store", 3),
        ("Sprouts Farmers Market", ["SPROUTS FARMERS MAR", "SPROUTS FARMERS MKT"], (12, 100), "store", 4),
        ("H Mart", ["H MART", "HMART"], (20, 90), "store", 2),
        ("Lucky", ["LUCKY", "LUCKY #"], (10, 80), "store", 3),
        ("Ferry Plaza Farmers Market", ["FERRY PLAZA FARMERS", "FERRY PLZ FARMERS MKT"], (5, 40), "small", 2),
    ],
    "Restaurants": [
        ("Olive Garden", ["OLIVE GARDEN", "OLIVE GARDEN 0021"], (30, 95), "store", 2),
        ("The Cheesecake Factory", ["CHEESECAKE FACTORY", "THE CHEESECAKE FACTORY"], (40, 140), "store", 2),
        ("Joe's Diner", ["JOES DINER"], (12, 45), "small", 3),
        ("Luigi's Trattoria", ["LUIGIS TRATTORIA"], (35, 120), "small", 2),
        ("Thai Basil", ["THAI BASIL", "THAI BASIL CUISINE"], (18, 60), "small", 3),
        ("Sushi Zen", ["SUSHI ZEN"], (30, 110), "small", 2),
        ("Nopalito", ["NOPALITO"], (25, 80), "small", 2),
        ("Burma Superstar", ["BURMA SUPERSTAR"], (30, 90), "small", 2),
        ("Zuni Cafe", ["ZUNI CAFE"], (50, 180), "small", 1),
        ("Tacos El Gordo", ["TACOS EL GORDO"], (10, 35), "small", 2),
        ("Plow", ["PLOW"], (20, 60), "small", 2),
        ("Pho Ha Noi", ["PHO HA NOI"], (14, 40), "small", 2),
    ],
    "Coffee Shops": [
        ("Starbucks", ["STARBUCKS STORE", "STARBUCKS"], (3, 14), "store", 12),
        ("Peet's Coffee", ["PEETS COFFEE", "PEET S COFFEE"], (3, 12), "store", 6),
        ("Blue Bottle Coffee", ["BLUE BOTTLE COFFEE", "BLUE BOTTLE"], (4, 15), "small", 6),
        ("Sightglass Coffee", ["SIGHTGLASS COFFEE", "SIGHTGLASS"], (4, 12), "small", 4),
        ("Philz Coffee", ["PHILZ COFFEE"], (4, 12), "small", 5),
        ("Ritual Coffee Roasters", ["RITUAL COFFEE ROAST", "RITUAL COFFEE"], (4, 11), "small", 3),
        ("Dunkin'", ["DUNKIN", "DUNKIN #"], (3, 10), "store", 3),
    ],
    "Fast Food": [
        ("McDonald's", ["MCDONALD S", "MCDONALDS"], (5, 18), "store", 5),
        ("Chipotle", ["CHIPOTLE", "CHIPOTLE ONLINE"], (9, 25), "store", 6),
        ("Taco Bell", ["TACO BELL"], (5, 16), "store", 3),
        ("In-N-Out Burger", ["IN N OUT BURGER", "IN-N-OUT"], (6, 20), "store", 3),
        ("Subway", ["SUBWAY"], (6, 15), "store", 3),
        ("Chick-fil-A", ["CHICK FIL A", "CHICK-FIL-A"], (7, 20), "store", 3),
        ("Sweetgreen", ["SWEETGREEN"], (12, 20), "store", 4),
    ],
    "Food Delivery": [
        ("DoorDash", ["DOORDASH", "DD DOORDASH"], (18, 70), "online", 7),
        ("Uber Eats", ["UBER EATS", "UBER *EATS"], (15, 60), "online", 5),
        ("Grubhub", ["GRUBHUB", "GRUBHUB*"], (15, 55), "online", 3),
        ("Caviar", ["CAVIAR"], (20, 70), "online", 1),
    ],
    "Fuel": [
        ("Shell", ["SHELL OIL", "SHELL SERVICE STATION"], (25, 90), "store", 6),
        ("Chevron", ["CHEVRON", "CHEVRON 0091"], (25, 95), "store", 6),
        ("76", ["76 -", "UNION 76"], (25, 85), "store", 2),
        ("Arco", ["ARCO", "ARCO PAYPOINT", "AM PM ARCO"], (20, 80), "store", 3),
        ("Valero", ["VALERO"], (20, 75), "store", 2),
        ("Costco Gas", ["COSTCO GAS"], (30, 80), "store", 2),
    ],
    "Rideshare & Taxi": [
        ("Uber", ["UBER *TRIP", "UBER TRIP", "UBER * PENDING"], (8, 60), "online", 8),
        ("Lyft", ["LYFT *RIDE", "LYFT RIDE", "LYFT"], (8, 55), "online", 5),
        ("Yellow Cab", ["YELLOW CAB", "YELLOW CAB CO"], (12, 45), "small", 1),
    ],
    "Public Transit": [
        ("Clipper", ["CLIPPER SERVICE", "CLIPPER CARD"], (20, 60), "online", 4),
        ("BART", ["BART", "BART-"], (3, 12), "store", 3),
        ("Caltrain", ["CALTRAIN", "CALTRAIN TVM"], (4, 15), "store", 2),
        ("MTA", ["MTA*NYCT PAYGO", "MTA NYCT"], (2.9, 2.9), "store", 1),
    ],
    "Parking & Tolls": [
        ("FasTrak", ["FASTRAK", "FASTRAK CSC"], (25, 50), "bill", 2),
        ("ParkMobile", ["PARKMOBILE", "PMUSA PARKMOBILE"], (2, 18), "online", 3),
        ("SF Municipal Parking", ["SFMTA PARKING", "SFMTA METER"], (2, 12), "store", 2),
        ("SpotHero", ["SPOTHERO", "SPOT HERO"], (10, 40), "online", 1),
    ],
    "Online Shopping": [
        ("Amazon", ["AMAZON MKTPL", "AMZN MKTP US", "AMAZON.COM", "AMZN MKTP"], (8, 150), "online", 10),
        ("eBay", ["EBAY O", "EBAY INC"], (10, 120), "online", 2),
        ("Etsy", ["ETSY.COM", "ETSY INC"], (12, 80), "online", 2),
        ("Wayfair", ["WAYFAIR", "WAYFAIR*"], (40, 400), "online", 1),
    ],
    "Clothing": [
        ("Uniqlo", ["UNIQLO", "UNIQLO USA"], (20, 120), "store", 3),
        ("Nordstrom", ["NORDSTROM", "NORDSTROM RACK"], (30, 250), "store", 2),
        ("Gap", ["GAP", "GAP US"], (20, 100), "store", 2),
        ("Old Navy", ["OLD NAVY", "OLDNAVY"], (15, 80), "store", 2),
        ("Patagonia", ["PATAGONIA"], (50, 300), "store", 1),
    ],
    "Electronics": [
        ("Best Buy", ["BEST BUY", "BESTBUY"], (20, 600), "store", 2),
        ("Apple Store", ["APPLE STORE", "APPLE STORE R"], (20, 1200), "store", 1),
        ("B&H Photo", ["B&H PHOTO", "B H PHOTO"], (30, 500), "online", 1),
    ],
    "Home & Garden": [
        ("The Home Depot", ["THE HOME DEPOT", "HOME DEPOT"], (10, 300), "store", 4),
        ("Lowe's", ["LOWES", "LOWE S"], (10, 250), "store", 2),
        ("IKEA", ["IKEA", "IKEA EAST PALO ALTO"], (20, 400), "store", 2),
        ("Cole Hardware", ["COLE HARDWARE"], (5, 60), "small", 2),
        ("Flora Grubb Gardens", ["FLORA GRUBB GARDENS"], (10, 90), "small", 1),
    ],
    "Utilities": [
        ("PG&E", ["PGANDE WEB ONLINE", "PG&E", "PACIFIC GAS & ELEC"], (60, 240), "bill", 1),
        ("SFPUC Water", ["SFPUC WATER", "SF WATER POWER SEWER"], (40, 120), "bill", 1),
        ("Recology", ["RECOLOGY", "RECOLOGY SF"], (30, 60), "bill", 1),
    ],
    "Phone & Internet": [
        ("Comcast", ["COMCAST", "COMCAST CABLE COMM"], (60, 110), "bill", 1),
        ("Verizon", ["VERIZON WRLS", "VZWRLSS", "VERIZON WIRELESS"], (50, 140), "bill", 1),
        ("Sonic.net", ["SONIC.NET", "SONIC TELECOM"], (40, 60), "bill", 1),
    ],
    "Rent & Mortgage": [
        ("Rent", ["AVALON BAY RENT", "RENT PAYMENT"], (2400, 2400), "bank", 1),
        ("Mortgage", ["WELLS FARGO HOME MTG", "MORTGAGE PAYMENT"], (3100, 3100), "bank", 1),
    ],
    "Insurance": [
        ("Geico", ["GEICO", "GEICO *AUTO"], (90, 160), "bill", 1),
        ("State Farm", ["STATE FARM INSURANCE", "STATE FARM RO"], (80, 150), "bill", 1),
        ("Lemonade", ["LEMONADE INSURANCE", "LEMONADE INS"], (15, 30), "bill", 1),
    ],
    "Streaming": [
        ("Netflix", ["NETFLIX.COM", "NETFLIX"], (15.49, 15.49), "bill", 1),
        ("Spotify", ["SPOTIFY USA", "SPOTIFY"], (10.99, 10.99), "bill", 1),
        ("Hulu", ["HULU", "HULU 877-8244858"], (17.99, 17.99), "bill", 1),
        ("Disney Plus", ["DISNEY PLUS", "DISNEYPLUS"], (13.99, 13.99), "bill", 1),
        ("HBO Max", ["HBO MAX", "HBOMAX.COM"], (15.99, 15.99), "bill", 1),
    ],
    "Games": [
        ("Steam", ["STEAM PURCHASE", "STEAMGAMES.COM", "VALVE STEAM"], (5, 60), "online", 2),
        ("PlayStation Network", ["PLAYSTATION NETWORK", "SONY PLAYSTATION"], (10, 70), "online", 1),
        ("Nintendo", ["NINTENDO AMERICA", "NINTENDO ESHOP"], (5, 60), "online", 1),
    ],
    "Movies & Events": [
        ("AMC Theatres", ["AMC", "AMC ONLINE", "AMC METREON 16"], (12, 45), "store", 2),
        ("Ticketmaster", ["TICKETMASTER", "TM *TICKETMASTER"], (40, 250), "online", 1),
        ("Eventbrite", ["EVENTBRITE", "EB *"], (10, 80), "online", 1),
        ("Alamo Drafthouse", ["ALAMO DRAFTHOUSE", "ALAMO DRAFTHOUSE NE"], (15, 60), "store", 1),
    ],
    "Pharmacy": [
        ("CVS", ["CVS/PHARMACY", "CVS PHARMACY"], (5, 80), "store", 4),
        ("Walgreens", ["WALGREENS", "WALGREENS #"], (5, 70), "store", 4),
        ("Rite Aid", ["RITE AID", "RITE AID STORE"], (5, 50), "store", 1),
    ],
    "Fitness": [
        ("24 Hour Fitness", ["24 HOUR FITNESS", "24 HOUR FIT USA"], (45, 45), "bill", 1),
        ("Equinox", ["EQUINOX", "EQUINOX SPORTS CLUB"], (220, 220), "bill", 1),
        ("ClassPass", ["CLASSPASS", "CLASSPASS*"], (29, 79), "bill", 1),
        ("Mission Cliffs", ["MISSION CLIFFS", "TOUCHSTONE CLIMBING"], (20, 95), "small", 1),
        ("Yoga Tree", ["YOGA TREE"], (25, 25), "small", 1),
    ],
    "Flights": [
        ("United Airlines", ["UNITED", "UNITED AIRLINES"], (120, 900), "online", 1),
        ("Delta", ["DELTA AIR LINES", "DELTA AIR"], (120, 800), "online", 1),
        ("Southwest", ["SOUTHWEST AIRLINES", "SOUTHWES"], (80, 450), "online", 1),
        ("Alaska Airlines", ["ALASKA AIRLINES", "ALASKA AIR"], (90, 500), "online", 1),
    ],
    "Hotels & Lodging": [
        ("Marriott", ["MARRIOTT", "COURTYARD BY MARRIOTT"], (140, 600), "store", 1),
        ("Airbnb", ["AIRBNB", "AIRBNB HM"], (150, 900), "online", 1),
        ("Hilton", ["HILTON", "HAMPTON INN"], (120, 500), "store", 1),
    ],
    "Income": [
        ("Payroll", ["ACME CORP PAYROLL", "ACME CORP DIR DEP"], (-4200, -4200), "bank", 2),
        ("Interest", ["INTEREST PAYMENT", "INTEREST EARNED"], (-8, -1), "bank", 1),
    ],
    "Transfers": [
        ("Zelle", ["ZELLE TO", "ZELLE PAYMENT TO"], (20, 300), "bank", 3),
        ("Venmo", ["VENMO", "VENMO PAYMENT"], (10, 200), "bank", 4),
        ("Savings transfer", ["ONLINE TRANSFER TO SAV", "TRANSFER TO SAVINGS"], (100, 1000), "bank", 2),
        ("Credit card payment", ["CHASE CREDIT CRD AUTOPAY", "CITI AUTOPAY PAYMENT"], (300, 2500), "bank", 1),
    ],
    "Fees & Charges": [
        ("Monthly fee", ["MONTHLY SERVICE FEE", "MONTHLY MAINTENANCE FEE"], (12, 12), "bank", 1),
        ("Overdraft", ["OVERDRAFT FEE", "OVERDRAFT ITEM FEE"], (35, 35), "bank", 1),
        ("Foreign fee", ["FOREIGN TRANSACTION FEE", "INTL TRANSACTION FEE"], (0.5, 6), "bank", 1),
    ],
    "Cash & ATM": [
        ("ATM", ["ATM WITHDRAWAL", "NON-CHASE ATM WITHDRAW", "ATM CASH WITHDRAWAL"], (20, 300), "bank", 2),
    ],
    "Pets": [
        ("Petco", ["PETCO", "PETCO ANIMAL SUPPLIES"], (10, 120), "store", 2),
        ("Chewy", ["CHEWY.COM", "CHEWY INC"], (25, 150), "online", 2),
        ("Mission Pet Hospital", ["MISSION PET HOSPITAL"], (60, 400), "small", 1),
        ("Rover", ["ROVER.COM", "ROVER"], (30, 120), "online", 1),
    ],
    "Personal Care": [
        ("Sephora", ["SEPHORA", "SEPHORA USA"], (15, 120), "store", 1),
        ("Supercuts", ["SUPERCUTS"], (25, 45), "store", 1),
        ("Fellow Barber", ["FELLOW BARBER"], (40, 60), "small", 2),
        ("Nail Bar", ["LUXE NAIL BAR", "NAIL BAR"], (30, 70), "small", 1),
    ],
    "Gifts & Donations": [
        ("Red Cross", ["AMERICAN RED CROSS", "RED CROSS"], (25, 200), "online", 1),
        ("GoFundMe", ["GOFUNDME", "GOFUNDME *"], (20, 150), "online", 1),
        ("KQED", ["KQED INC", "KQED PUBLIC MEDIA"], (10, 15), "bill", 1),
        ("1-800-Flowers", ["1-800-FLOWERS", "1800FLOWERS.COM"], (40, 120), "online", 1),
    ],
    "Education": [
        ("Coursera", ["COURSERA", "COURSERA.ORG"], (39, 79), "online", 1),
        ("Udemy", ["UDEMY", "UDEMY ONLINE COURSES"], (12, 30), "online", 1),
        ("City College", ["CITY COLLEGE SF TUITION", "CCSF TUITION"], (150, 600), "bank", 1),
        ("Barnes & Noble", ["BARNES & NOBLE", "BARNES NOBLE"], (10, 80), "store", 1),
    ],
}

# Merchants whose purchases genuinely belong to several categories: the
# label is drawn per purchase, so no rule can be always right on them.
MIXED = [
    ("Target", ["TARGET", "TARGET T-"], (10, 200), "store",
     [("Groceries", 5), ("Home & Garden", 3), ("Clothing", 2)], 8),
    ("Costco", ["COSTCO WHSE", "COSTCO WHOLESALE"], (40, 400), "store",
     [("Groceries", 7), ("Electronics", 1), ("Home & Garden", 2)], 5),
    ("Walmart", ["WAL-MART", "WALMART.COM", "WM SUPERCENTER"], (10, 180), "store",
     [("Groceries", 5), ("Home & Garden", 3), ("Online Shopping", 2)], 3),
    ("PayPal", ["PAYPAL INST XFER", "PAYPAL TRANSFER"], (10, 200), "bank",
     [("Transfers", 6), ("Online Shopping", 4)], 2),
]

PREFIX_SMALL = ["SQ *", "SQ *", "TST* ", "TST* ", "SQ *", "SP ", "PY *"]
CARD_TAIL = ["XXXX1234", "XXXXXX5678", "CARD 4417", "XXXX9012"]


def typo(s):
    """One keyboard slip in a word of at least 5 letters."""
    words = s.split(" ")
    idx = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not idx:
        return s
    i = rnd.choice(idx)
    w = words[i]
    j = rnd.randrange(1, len(w) - 1)
    op = rnd.choice(["drop", "swap", "double", "replace"])
    if op == "drop":
        w = w[:j] + w[j + 1:]
    elif op == "swap":
        w = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    elif op == "double":
        w = w[:j] + w[j] + w[j:]
    else:
        w = w[:j] + rnd.choice("AEIOURSTN") + w[j + 1:]
    words[i] = w
    return " ".join(words)


def describe(alias, channel, city, st, when):
    """A bank statement line for one purchase."""
    mmdd = when.strftime("%m/%d")
    store = str(rnd.randint(1, 9999)).zfill(rnd.choice([3, 4, 5]))
    name = alias
    if rnd.random() < 0.05:
        name = typo(name)
    if channel == "small":
        base = rnd.choice(PREFIX_SMALL) + name
        tail = f"{city} {st}" if rnd.random() < 0.8 else st
        return f"{base} {tail}"
    if channel == "store":
        body = f"{name} #{store}" if rnd.random() < 0.6 else f"{name} {store}"
        if rnd.random() < 0.2:
            body = body[:22]        # card descriptor field width
        forms = [
            f"{body} {city} {st}",
            f"POS PURCHASE {body} {city} {st}",
            f"POS DEBIT {mmdd} {body} {city} {st}",
            f"CHECKCARD {when.strftime('%m%d')} {body} {city} {st} 2446{rnd.randint(10**15, 10**16 - 1)}",
            f"DEBIT CARD PURCHASE {rnd.choice(CARD_TAIL)} {body} {city} {st}",
            f"PURCHASE AUTHORIZED ON {mmdd} {body} {city} {st} S{rnd.randint(10**14, 10**15 - 1)} CARD 4417",
        ]
        return rnd.choices(forms, weights=[5, 3, 2, 2, 2, 2])[0]
    if channel == "online":
        ref = "".join(rnd.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(9))
        forms = [
            f"{name}*{ref} {st}",
            f"PAYPAL *{name.replace(' ', '')} 402-935-7733 CA",
            f"{name} {ref}",
            f"{name} HELP.COM {st}",
            f"POS PURCHASE {name} {ref}",
        ]
        return rnd.choices(forms, weights=[4, 1, 3, 1, 1])[0]
    if channel == "bill":
        phone = f"{rnd.choice(['800', '866', '888', '877'])}-{rnd.randint(200, 999)}-{rnd.randint(1000, 9999)}"
        forms = [
            f"{name} {phone} {st}",
            f"RECURRING PAYMENT {name} {st}",
            f"{name} AUTOPAY {when.strftime('%m%d%y')}",
            f"ACH DEBIT {name} WEB ID {rnd.randint(10**9, 10**10 - 1)}",
        ]
        return rnd.choice(forms)
    # bank
    ref = rnd.randint(10**9, 10**10 - 1)
    forms = [
        f"{name} PPD ID: {ref}",
        f"{name} {mmdd} REF #{ref}",
        f"{name} XXXXXX{rnd.randint(1000, 9999)} {mmdd}",
        f"ONLINE {name} CONF# {ref}",
        f"{name}",
    ]
    return rnd.choice(forms)


def main():
    merchants = []   # (name, aliases, amounts, channel, labels, weight, home)
    for cat, ms in M.items():
        for name, aliases, amounts, channel, w in ms:
            merchants.append((name, aliases, amounts, channel, [(cat, 1)], w))
    for name, aliases, amounts, channel, labels, w in MIXED:
        merchants.append((name, aliases, amounts, channel, labels, w))

    # Each household shops in its own couple of cities.
    homes = [rnd.sample(CITIES, 3) for _ in range(4)]
    start = datetime(2025, 1, 1)
    out = csv.writer(sys.stdout)
    out.writerow(["transaction_date", "description", "merchant_name", "amount", "category",
                  "household"])
    rows = []
    # Every merchant appears at least once per household-year; the rest by
    # popularity.
    weights = [m[5] for m in merchants]
    for i in range(ROWS):
        m = merchants[i] if i < len(merchants) else rnd.choices(merchants, weights=weights)[0]
        name, aliases, (lo, hi), channel, labels, _ = m
        when = start + timedelta(seconds=rnd.randint(0, 365 * 86400 - 1))
        household = rnd.randrange(len(homes))
        home = homes[household]
        city, st = rnd.choice(home) if rnd.random() < 0.85 else rnd.choice(CITIES)
        alias = rnd.choice(aliases)
        desc = describe(alias, channel, city, st, when)
        category = rnd.choices([c for c, _ in labels], weights=[w for _, w in labels])[0]
        amount = round(rnd.uniform(lo, hi), 2) if lo != hi else lo
        merchant = name if rnd.random() < 0.3 else ""
        rows.append((when, desc, merchant, amount, category, household))
    rows.sort(key=lambda r: r[0])
    for when, desc, merchant, amount, category, household in rows:
        out.writerow([when.isoformat(sep=" "), desc, merchant, f"{amount:.2f}", category,
                      f"h{household + 1}"])


if __name__ == "__main__":
    main()
