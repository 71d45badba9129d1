"""Names the guards recognise in any case: places, languages, peoples, products.

Data only, lower case, multi-word names with single spaces; `ALIASES` folds
the common alternative spellings onto one name.
"""

from __future__ import annotations

from appliance.semantic.lexicon import phrases

PLACES = phrases(
    """
    afghanistan, albania, algeria, andorra, angola, argentina, armenia, australia,
    austria, azerbaijan, bahamas, bahrain, bangladesh, barbados, belarus, belgium,
    belize, benin, bhutan, bolivia, bosnia, botswana, brazil, brunei, bulgaria,
    burkina faso, burundi, cambodia, cameroon, canada, chad, chile, china,
    colombia, congo, costa rica, croatia, cuba, cyprus, czechia, czech republic,
    denmark, djibouti, dominican republic, ecuador, egypt, el salvador, eritrea,
    estonia, eswatini, ethiopia, fiji, finland, france, gabon, gambia, georgia,
    germany, ghana, greece, greenland, guatemala, guinea, guyana, haiti,
    honduras, hungary, iceland, india, indonesia, iran, iraq, ireland, israel,
    italy, jamaica, japan, jordan, kazakhstan, kenya, kosovo, kuwait, kyrgyzstan,
    laos, latvia, lebanon, lesotho, liberia, libya, liechtenstein, lithuania,
    luxembourg, madagascar, malawi, malaysia, maldives, mali, malta, mauritania,
    mauritius, mexico, moldova, monaco, mongolia, montenegro, morocco,
    mozambique, myanmar, namibia, nepal, netherlands, holland, new zealand,
    nicaragua, niger, nigeria, north korea, south korea, korea, norway, oman,
    pakistan, panama, paraguay, peru, philippines, poland, portugal, qatar,
    romania, russia, rwanda, samoa, saudi arabia, senegal, serbia, seychelles,
    sierra leone, singapore, slovakia, slovenia, somalia, south africa, spain,
    sri lanka, sudan, suriname, sweden, switzerland, syria, taiwan, tajikistan,
    tanzania, thailand, togo, tonga, tunisia, turkey, turkmenistan, uganda,
    ukraine, united arab emirates, uae, united kingdom, uk, britain,
    great britain, england, scotland, wales, united states, usa, america,
    uruguay, uzbekistan, venezuela, vietnam, yemen, zambia, zimbabwe,
    africa, antarctica, asia, europe, oceania, north america, south america,
    latin america, middle east, scandinavia, caribbean, siberia, balkans,
    alabama, alaska, arizona, arkansas, california, colorado, connecticut,
    delaware, florida, hawaii, idaho, illinois, indiana, iowa, kansas,
    kentucky, louisiana, maine, maryland, massachusetts, michigan, minnesota,
    mississippi, missouri, montana, nebraska, nevada, new hampshire, new jersey,
    new mexico, new york, north carolina, north dakota, ohio, oklahoma, oregon,
    pennsylvania, rhode island, south carolina, south dakota, tennessee, texas,
    utah, vermont, virginia, washington, west virginia, wisconsin, wyoming,
    ontario, quebec, bavaria, catalonia, tuscany, provence, queensland,
    amsterdam, athens, atlanta, auckland, austin, baghdad, bangkok, barcelona,
    beijing, beirut, berlin, bern, bogota, boston, brasilia, brussels,
    bucharest, budapest, buenos aires, cairo, calgary, canberra, cape town,
    caracas, chicago, copenhagen, dallas, delhi, new delhi, denver, detroit,
    doha, dubai, dublin, edinburgh, florence, frankfurt, geneva, glasgow,
    hamburg, hanoi, havana, helsinki, hong kong, honolulu, houston, istanbul,
    jakarta, jerusalem, johannesburg, kabul, karachi, kiev, kyiv, kyoto,
    lagos, la paz, las vegas, lima, lisbon, liverpool, london, los angeles,
    lyon, madrid, manchester, manila, marseille, melbourne, mexico city, miami,
    milan, minneapolis, montreal, moscow, mumbai, munich, nairobi, naples,
    nashville, new orleans, nice, osaka, oslo, ottawa, oxford, cambridge,
    paris, perth, philadelphia, phoenix, portland, prague, quito, reykjavik,
    riga, rio de janeiro, riyadh, rome, rotterdam, san diego, san francisco,
    san jose, santiago, sao paulo, seattle, seoul, shanghai, shenzhen, sofia,
    stockholm, sydney, taipei, tallinn, tehran, tel aviv, tokyo, toronto,
    vancouver, venice, vienna, vilnius, warsaw, wellington, zagreb, zurich,
    amazon river, nile, danube, rhine, thames, mississippi river, alps,
    himalayas, andes, rockies, sahara, everest, mount everest, kilimanjaro,
    pacific, atlantic, mediterranean
    """
)

PEOPLE_AND_KINDS = phrases(
    """
    english, french, german, spanish, italian, portuguese, dutch, russian,
    chinese, mandarin, cantonese, japanese, korean, arabic, hindi, bengali,
    urdu, turkish, greek, polish, swedish, norwegian, danish, finnish,
    hungarian, czech, romanian, ukrainian, hebrew, persian, farsi, thai,
    vietnamese, indonesian, malay, swahili, latin, american, british,
    canadian, australian, mexican, brazilian, indian, european, african,
    asian, irish, scottish, swiss, austrian, belgian, egyptian, israeli,
    mercury, venus, earth, mars, jupiter, saturn, uranus, neptune, pluto,
    moon, sun, milky way, christmas, easter, halloween, thanksgiving,
    ramadan, hanukkah, diwali
    """
)

TECH = phrases(
    """
    python, java, javascript, typescript, rust, golang, kotlin, swift,
    ruby, php, perl, scala, haskell, elixir, erlang, clojure, lua, dart,
    julia, matlab, fortran, cobol, c++, c#, bash, powershell,
    sql, mysql, postgres, postgresql, sqlite, mongodb, redis, cassandra,
    elasticsearch, kafka, rabbitmq, docker, kubernetes, terraform, ansible,
    linux, ubuntu, debian, fedora, centos, windows, macos, ios, android,
    react, angular, vue, svelte, django, flask, fastapi, rails, spring,
    node, nodejs, deno, numpy, pandas, pytorch, tensorflow, excel, git,
    github, gitlab, aws, azure, gcp, nginx, apache, html, css, json, yaml,
    xml, csv, http, https, tcp, udp, ssh, dns, vim, emacs, vscode,
    apple, google, microsoft, amazon, meta, facebook, netflix, tesla, nvidia,
    intel, amd, ibm, oracle, samsung, sony, toyota, ford, boeing, airbus,
    spotify, uber, airbnb, twitter, instagram, tiktok, youtube, linkedin,
    whatsapp, slack, zoom, openai, anthropic, chatgpt, claude, gemini,
    bitcoin, ethereum, iphone, ipad, macbook, playstation, xbox, nintendo
    """
)

ALIASES = {
    "usa": "united states",
    "america": "united states",
    "uk": "united kingdom",
    "britain": "united kingdom",
    "great britain": "united kingdom",
    "holland": "netherlands",
    "czech republic": "czechia",
    "kiev": "kyiv",
    "new delhi": "delhi",
    "golang": "go",
    "postgresql": "postgres",
    "nodejs": "node",
    "mount everest": "everest",
    "farsi": "persian",
}

NAME_PHRASES = PLACES | PEOPLE_AND_KINDS | TECH


def spans(names: frozenset[str]) -> dict[str, int]:
    """For each first word of a name, the most words a name starting so has."""
    longest: dict[str, int] = {}
    for name in names:
        first = name.split()[0]
        longest[first] = max(longest.get(first, 1), len(name.split()))
    return longest


NAME_SPANS = spans(NAME_PHRASES)
