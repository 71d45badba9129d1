"""Word lists the match guards read: units, numbers, dates, opposites, stopwords.

Data only, lower case. Names live in `names`, language markers in `language`.
"""

from __future__ import annotations


def words(block: str) -> frozenset[str]:
    return frozenset(block.split())


def phrases(block: str) -> frozenset[str]:
    return frozenset(line.strip() for line in block.split(",") if line.strip())


UNITS = {
    "mm": "mm millimeter millimeters millimetre millimetres",
    "cm": "cm centimeter centimeters centimetre centimetres",
    "m": "m meter meters metre metres",
    "km": "km kms kilometer kilometers kilometre kilometres",
    "inch": "inch inches",
    "ft": "ft foot feet",
    "yard": "yard yards yd yds",
    "mile": "mile miles mi",
    "mg": "mg milligram milligrams",
    "g": "g gram grams",
    "kg": "kg kgs kilo kilos kilogram kilograms",
    "lb": "lb lbs",
    "pound": "pound pounds £ gbp",
    "oz": "oz ounce ounces",
    "ton": "ton tons tonne tonnes",
    "ml": "ml milliliter milliliters millilitre millilitres",
    "l": "l liter liters litre litres",
    "gallon": "gallon gallons gal",
    "cup": "cup cups",
    "tbsp": "tbsp tablespoon tablespoons",
    "tsp": "tsp teaspoon teaspoons",
    "celsius": "c °c celsius centigrade",
    "fahrenheit": "f °f fahrenheit",
    "kelvin": "kelvin",
    "ms": "ms millisecond milliseconds",
    "second": "s sec secs second seconds",
    "minute": "min mins minute minutes",
    "hour": "h hr hrs hour hours hourly",
    "day": "day days daily",
    "week": "week weeks weekly",
    "month": "month months monthly",
    "year": "year years yr yrs yearly annual annually",
    "decade": "decade decades",
    "century": "century centuries",
    "byte": "byte bytes",
    "bit": "bit bits",
    "kb": "kb kilobyte kilobytes kib",
    "mb": "mb megabyte megabytes mib",
    "gb": "gb gigabyte gigabytes gib",
    "tb": "tb terabyte terabytes tib",
    "mph": "mph",
    "kmh": "kph kmh km/h",
    "acre": "acre acres",
    "hectare": "hectare hectares ha",
    "calorie": "calorie calories kcal cal",
    "kwh": "kwh",
    "watt": "w watt watts",
    "kw": "kw kilowatt kilowatts",
    "volt": "v volt volts",
    "percent": "% percent percentage",
    "usd": "$ usd dollar dollars buck bucks",
    "eur": "€ eur euro euros",
    "jpy": "¥ jpy yen",
    "inr": "₹ inr rupee rupees",
    "cny": "cny yuan rmb",
    "chf": "chf franc francs",
    "cad": "cad",
    "aud": "aud",
    "btc": "btc",
    "pixel": "px pixel pixels",
    "thousand": "k thousand thousands",
    "million": "million millions",
    "billion": "bn billion billions",
    "dozen": "dozen dozens",
}
UNIT_OF = {alias: unit for unit, block in UNITS.items() for alias in block.split()}
LOOSE_UNIT_ALIASES = words("c f k m s h l g v w ha mi cal gal min")


def numbered(block: str, start: int = 0) -> dict[str, int]:
    """Each word of a list mapped to its place in the list, counting from start."""
    return {word: place for place, word in enumerate(block.split(), start=start)}


CARDINALS: dict[str, float] = {
    **numbered(
        """zero _ two three four five six seven eight nine ten eleven twelve
        thirteen fourteen fifteen sixteen seventeen eighteen nineteen"""
    ),
    **{tens: 20 + 10 * place for tens, place in numbered(
        "twenty thirty forty fifty sixty seventy eighty ninety"
    ).items()},
    "hundred": 100, "half": 0.5, "twice": 2, "double": 2, "triple": 3,
}  # fmt: skip
ORDINALS = numbered(
    """zeroth first second third fourth fifth sixth seventh eighth ninth
    tenth eleventh twelfth"""
)


def grouped(rows: str, start: int = 0) -> dict[str, int]:
    """Each word mapped to the number of its comma-separated group."""
    groups = enumerate(rows.split(","), start=start)
    return {word: place for place, group in groups for word in group.split()}


MONTHS = grouped(
    """january jan, february feb, march mar, april apr, may, june jun,
    july jul, august aug, september sep sept, october oct, november nov,
    december dec""",
    start=1,
)
WEEKDAYS = grouped(
    """monday mon, tuesday tue tues, wednesday wed, thursday thu thurs,
    friday fri, saturday sat, sunday sun"""
)
AMBIGUOUS_DATE_WORDS = words("may march mar jan sat sun wed fri mon dec")
RELATIVE_DAYS = words(
    "today tonight tomorrow yesterday weekend weekday morning "
    "afternoon evening night noon midnight spring summer autumn winter"
)

NEGATIONS = words(
    "not no never none nothing nobody nowhere neither nor without cannot "
    "can't won't don't doesn't didn't isn't aren't wasn't weren't shouldn't "
    "wouldn't couldn't hasn't haven't hadn't mustn't needn't shan't ain't "
    "cant wont dont doesnt didnt isnt arent wasnt werent shouldnt wouldnt "
    "couldnt hasnt havent unable fail fails failed"
)

OPPOSITES: tuple[tuple[str, str, str], ...] = (
    ("toggle", "enable activate turn_on switch_on", "disable deactivate turn_off "
     "switch_off"),
    ("presence", "add insert append include attach", "remove delete drop exclude "
     "detach erase"),
    ("time", "before earlier prior previous last past ago", "after later next "
     "following upcoming future"),
    ("amount", "increase raise grow expand boost more higher maximize upgrade "
     "up", "decrease lower reduce shrink cut less fewer minimize downgrade down"),
    ("extreme", "max maximum most largest biggest highest best top", "min "
     "minimum least smallest lowest worst bottom"),
    ("size", "big bigger large larger huge long longer tall taller wide",
     "small smaller little tiny short shorter narrow"),
    ("speed", "fast faster quick quicker speed", "slow slower"),
    ("temperature", "hot hotter warm warmer heat", "cold colder cool cooler "
     "freeze"),
    ("flow", "import upload download_from push send input inbound", "export "
     "download upload_to pull receive output outbound"),
    ("transfer", "buy purchase borrow deposit", "sell lend withdraw"),
    ("lifecycle", "start begin open launch connect mount install subscribe "
     "login lock", "stop end close quit disconnect unmount uninstall "
     "unsubscribe logout unlock"),
    ("coding", "encrypt encode compress serialize zip hash", "decrypt decode "
     "decompress deserialize unzip"),
    ("truth", "true yes correct valid legal possible safe healthy positive",
     "false incorrect invalid illegal impossible unsafe dangerous unhealthy "
     "negative wrong"),
    ("permission", "allow permit accept grant approve whitelist", "deny "
     "forbid reject revoke block ban blacklist disallow"),
    ("side", "left west western", "right east eastern"),
    ("pole", "north northern", "south southern"),
    ("position", "above over upper top uppercase", "below under lower bottom "
     "lowercase"),
    ("sort", "ascending asc", "descending desc"),
    ("arith", "plus add sum multiply times", "minus subtract difference divide "
     "divided"),
    ("sentiment", "pros advantages benefits agree love good better",
     "cons disadvantages drawbacks dislike disagree hate bad worse"),
    ("scope", "public external global", "private internal local"),
    ("age", "old older oldest", "new newer newest young younger youngest"),
    ("order", "first earliest", "last latest final"),
    ("gender", "male man men boy boys husband father", "female woman women "
     "girl girls wife mother"),
    ("outcome", "win won gain profit success", "lose lost loss failure"),
    ("sync", "sync synchronous blocking", "async asynchronous nonblocking"),
    ("stance", "for pro", "against anti"),
    ("owner", "my our mine ours", "your yours"),
    ("owner_other", "my our mine ours", "his her hers their theirs"),
    ("addressee_other", "your yours", "his her hers their theirs"),
)  # fmt: skip


def poles_of(groups: tuple[tuple[str, str, str], ...]) -> dict[str, frozenset[str]]:
    """Each opposite word mapped to the groups it belongs to, with its side."""
    index: dict[str, set[str]] = {}
    for group, plus, minus in groups:
        for sign, block in (("+", plus), ("-", minus)):
            for word in block.split():
                index.setdefault(word, set()).add(f"{group}{sign}")
    return {word: frozenset(sides) for word, sides in index.items()}


POLES_OF = poles_of(OPPOSITES)
PHRASAL_POLES = {
    "turn on": "turn_on",
    "switch on": "switch_on",
    "turn off": "turn_off",
    "switch off": "switch_off",
}

WH_CLASSES = {
    "who": "person",
    "whom": "person",
    "whose": "person",
    "when": "time",
    "where": "place",
    "why": "reason",
    "how many": "count",
    "how much": "amount",
    "how long": "duration",
    "how old": "age",
    "how far": "distance",
}

RELATION_WORDS = words(
    "than to from into vs versus over before after instead rather minus "
    "divided by relative compared against beat beats defeat defeated"
)

STOPWORDS = words(
    """a an the and or but if then else of in on at by for with about as into
    to from again further once here there all any both each few own same so
    too very can will just should i me my mine myself we our ours you your
    yours he him his she her hers it its they them their theirs what which
    who whom this that these those am is are was were be been being have
    has had having do does did doing would could might must shall may it's
    i'm i've you're what's how's there's that's let's how why when where
    please thanks thank hi hello hey ok okay really also something anything
    exactly actually basically many much out up down off over under again
    between among during through within across behind beyond via per around
    near ahead toward towards upon onto while whether than"""
)
NOT_NAMES = STOPWORDS | words(
    """tell explain show give list describe help want need know like get got
    make find way best good write go going use using sort create generate
    summarize translate convert compare define calculate fix name suggest
    recommend provide draft rewrite check count read run add remove set is
    are can could would should will do does did what which who how why when
    where yes no not hey dear note question answer"""
)

LIGHT_VERBS = words(
    """get gets got getting make makes made making find finds found set take
    takes took give gives gave put keep keeps see say says said use uses
    used using want wants need needs try tries help helps tell show explain
    describe summarize translate write go come comes came
    work works happen happens happened some main mainly major good best way
    ways check turn switch going
    thing things one ones can able possible proper right correct"""
)
FUNCTION_WORDS = STOPWORDS | LIGHT_VERBS | NEGATIONS

SYNONYMS = {
    "repair": "fix", "mend": "fix", "big": "large", "huge": "large",
    "biggest": "largest", "fast": "quick", "rapid": "quick",
    "purchase": "buy", "automobile": "car", "vehicle": "car",
    "begin": "start", "commence": "start", "finish": "end",
    "create": "build", "construct": "build", "generate": "build",
    "error": "bug", "issue": "problem", "trouble": "problem",
    "pc": "computer", "laptop": "computer", "picture": "image",
    "photo": "image", "pic": "image", "film": "movie", "cost": "price",
    "meaning": "mean", "definition": "mean", "define": "mean",
    "kid": "child", "kids": "children", "hard": "difficult",
    "tough": "difficult", "easy": "simple", "speak": "talk", "quit": "exit",
    "smart": "clever", "intelligent": "clever", "app": "application",
    "func": "function", "method": "function", "folder": "directory",
    "dir": "directory", "delete": "remove", "erase": "remove",
    "setup": "install", "tall": "height", "high": "height",
    "far": "distance", "inventor": "invent", "founder": "found",
    "wrote": "author", "writer": "author", "often": "frequent",
    "frequently": "frequent", "brief": "short", "purpose": "use",
    "require": "need", "requir": "need", "necessary": "need",
    "tyre": "tire", "int": "integer", "dict": "dictionary",
    "discovery": "discover", "discoveries": "discover", "skillet": "pan",
    "difference": "differ", "different": "differ", "sum": "add",
    "locally": "local", "safely": "safe", "quickly": "quick",
}  # fmt: skip
