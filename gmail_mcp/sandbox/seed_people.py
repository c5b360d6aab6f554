"""The invented people and companies of the seed mailbox; every address is at a reserved domain."""

from __future__ import annotations

from .seed_mime import ATHENS, EASTERN, LONDON, MOSCOW, PACIFIC, PARIS, SHANGHAI, TOKYO, Person

OWNER = Person("Alex Morgan", "you@example.com", PACIFIC)

# Harbor Labs, where the owner leads the sync team.
PRIYA = Person("Priya Raman", "priya.raman@harborlabs.example", PACIFIC)
TOMAS = Person("Tomás Ferreira", "tomas.ferreira@harborlabs.example", LONDON, "ISO-8859-1", "Q")
JORDAN = Person("Jordan Lee", "jordan.lee@harborlabs.example", EASTERN)
MEI = Person("Mei Chen", "mei.chen@harborlabs.example", PACIFIC)
SAM = Person("Sam Okafor", "sam.okafor@harborlabs.example", PACIFIC)
DANA = Person("Dana Whitfield", "dana.whitfield@harborlabs.example", PACIFIC)
NADIA = Person("Nadia Petrov", "nadia.petrov@harborlabs.example", EASTERN)
SUPPORT = Person("Harbor Labs Support", "support@harborlabs.example", PACIFIC)

# Outside contacts.
KATE = Person("Kate Brennan", "k.brennan@lakeside-venues.example", PACIFIC)
AMELIE = Person("Amélie Dubois", "amelie.dubois@atelier-lumiere.example", PARIS, "ISO-8859-1", "Q")
HANAKO = Person("山田 花子", "hanako.yamada@sakura-trading.example", TOKYO, "ISO-2022-JP", "B")
DMITRI = Person("Дмитрий Соколов", "d.sokolov@polar-soft.example", MOSCOW)
ELENI = Person("Ελένη Παπαδοπούλου", "eleni.p@aegean-conf.example", ATHENS, "ISO-8859-7", "Q")
WANG = Person("王磊", "wang.lei@jade-river.example", SHANGHAI)
JURGEN = Person("Jürgen Vogel", "j.vogel@vogel-moebel.example", PARIS, "windows-1252", "Q")
LENA = Person("Lena Hoffmann", "lena.hoffmann@brightpath.example", PARIS)

# Family and friends.
RACHEL = Person("Rachel Morgan", "rachel.morgan@example.net", EASTERN)
HELEN = Person("Helen Morgan", "helen.morgan@example.org", PACIFIC)
CHRIS = Person("Chris Nakamura", "chris.nakamura@example.net", PACIFIC)

# Companies and services that send bulk mail.
KESTREL = Person("Kestrel Outfitters", "news@mail.kestrel-outfitters.example", EASTERN)
WEEKLY_BYTE = Person("The Weekly Byte", "editor@weeklybyte.example", LONDON)
TRAILHEAD = Person("Trailhead Coffee Roasters", "hello@trailhead-coffee.example", PACIFIC)
LINKWAVE = Person("Linkwave", "notifications@linkwave.example", PACIFIC)
CHIRPER = Person("Chirper", "notify@chirper.example", PACIFIC)
CODEHARBOR = Person("Codeharbor", "notifications@codeharbor.example", PACIFIC)
FERNWOOD = Person("Fernwood Bank", "alerts@fernwoodbank.example", EASTERN)
SKYWARD = Person("Skyward Air", "itinerary@skywardair.example", PACIFIC)
HARBORVIEW = Person("Harborview Hotel", "reservations@harborview-hotel.example", EASTERN)
CLOUDNEST = Person("Cloudnest Billing", "billing@cloudnest.example", PACIFIC)
ACCOUNTS = Person("Example Accounts", "no-reply@accounts.example.com", PACIFIC)
PY_USERS = Person("", "py-users@lists.example.org", PACIFIC)
RAVI = Person("Ravi Kumar", "ravi.kumar@example.org", EASTERN)
INGRID = Person("Ingrid Holm", "ingrid.holm@example.net", PARIS)

# Senders with bad intentions.
LOTTERY = Person("International Claims Dept.", "claims@lucky-winner.example", LONDON)
PHISHER = Person("Mail Administrator", "admin@mailbox-verify.example", EASTERN)
FAKE_IT = Person("Harbor Labs IT Helpdesk", "it-helpdesk@harborlabs-support.example", PACIFIC)
FAKE_BILLING = Person("Accounts Payable", "ap@vendor-remit.example", EASTERN)
ATTACKER = "attacker@evil.example"
