"""Flag answers for a person to look at.  Flags are never a diagnosis.

Two purposes:

- *risk*: the answer may disclose risk to the writer or to others
  (``suicide``, ``self_harm``, ``abuse``, ``violence``, ``danger``) — a
  worker should read it and follow the service's safeguarding procedure;
- *distressing*: the answer may distress a reader (graphic or hateful
  language) — a board can be warned before reading it.

Each language (en, es, fr, ar) has a small lexicon of phrases; matching is on
lower-cased, accent-folded text (Arabic: hamza/alef and taa-marbuta folded),
at word starts, so "kill myself" also finds "killing myself" via the stem
``kill`` entries.  The lexicon is the *precise* first signal of
:mod:`codesign.analysis.risk`, whose e5 neighbours catch indirect wording:
entries are first-person phrases or say who does what to whom ("he hits me",
"I was raped", "want to die"), never a bare topic word ("abuse", "suicide",
"knife", "en danger"), which fires on talk *about* safeguarding policy, and
never hyperbole ("this form is killing me", "my son will kill me", Spanish
"no estoy seguro" = "I am not sure").  On the labelled answers in
``tests/analysis/fixtures/risk/`` it catches about one positive in eight and
raises a false alarm on about one negative in a hundred;
``benchmarks/flags_eval.py`` prints the figures.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from .types import Flag

RISK_KINDS = ("suicide", "self_harm", "abuse", "violence", "danger")

# Patterns: regular expressions over folded text, matched at a word start; "\w*" lets a
# stem match its forms.  Risk entries are first-person or say who does what to whom
# ("he hits me", "I was raped"): bare topic words ("abuse", "suicide", "knife") fire on
# talk *about* safeguarding policy, and hyperbole ("this form is killing me", "my son
# will kill me", "no estoy seguro" = "I am not sure") is left out on purpose.
LEXICON: dict[str, dict[str, list[str]]] = {
    "en": {
        "suicide": [
            r"kill(?:ing)? my ?self",
            r"(?:end|ending|ended|take|taking|took) my (?:own )?life",
            r"end(?:ing)? it all",
            r"(?:want|wanted|wanting|wish|wished) (?:to|i could|i was) (?:die|dead)",
            r"(?:i'?m|i am|i feel|i felt|i'?ve been|i have been|feeling) suicidal",
            r"(?:my|i have|i had|i get|having) suicidal (?:thoughts|feelings)",
            r"(?:think|thought|thinking) (?:about|of) (?:suicide|ending it|ending my life)",
            r"(?:tried|try|attempted) (?:to )?(?:commit )?suicide",
            r"better off (?:dead|without me)",
            r"no reason to (?:live|go on|keep going)",
            r"(?:don'?t|do not|no longer) want to (?:live|be alive|be here anymore|wake up)",
            r"(?:life|it) (?:is|isn'?t|is not) (?:not )?worth living",
            r"(?:took|take|taking|planning) an overdose",
            r"want (?:it all|everything|it) to (?:all )?end",
        ],
        "self_harm": [
            r"(?:hurt|hurting|harm|harming|cut|cutting|burn|burning|burned|burnt) my ?self(?! off)",
            r"(?:i|i'?ve|i have|i'?m|i am|been|started|my|still) self[- ]?harm\w*",
            r"(?:started|i'?m|i am|been) cutting (?:again|my ?self)",
            r"(?:i )?cut my (?:arms?|wrists?|legs?|thighs?)\b",
        ],
        "abuse": [
            r"(?:he|she|partner|husband|wife|boyfriend|girlfriend|father|mother|dad|mum|mom"
            r"|stepdad|stepfather|uncle|brother|ex) (?:hits|hit|beats|beat|abuses|abused|rapes"
            r"|raped|chokes|choked|strangles|strangled|kicks|kicked|punches|punched|slaps|slapped)"
            r" (?:me|us|my|the kids|the children)\b",
            r"(?:i was|i'?ve been|i have been|i got) (?:raped|sexually assaulted|molested|abused)",
            r"(?:he|she|my \w+) (?:is|was) (?:abusive|violent)",
            r"my (?:abusive|violent) (?:partner|husband|wife|boyfriend|girlfriend|ex|father"
            r"|mother|stepfather|stepdad)",
            r"(?:escaped|fled|left|leaving|suffered|survived|experienced|went through"
            r"|living with|because of) (?:years of )?(?:domestic (?:violence|abuse)|abuse)",
            r"touch(?:es|ed)? me (?:inappropriately|where)",
            r"forc(?:e|es|ed|ing) me to (?:marry|have sex)",
            r"(?:he|she) (?:takes|took|keeps|kept|controls) (?:all )?my (?:money|phone|passport"
            r"|bank card|papers)",
        ],
        "violence": [
            r"(?:i'?ll|i will|i'?m going to|i am going to|i'?m gonna|i want to) (?:kill|hurt"
            r"|stab|shoot|attack|beat up) (?:him|her|them|someone|somebody|people|you)\b",
            r"threaten(?:s|ed|ing)? to (?:kill|hurt|stab|shoot|beat) (?:me|us|my)",
            r"threaten(?:s|ed|ing)? (?:me|us) with",
            r"beat(?:s|en)? (?:me|us) up",
            r"(?:pulled|held|put|pointed) a (?:knife|gun|blade) (?:to|at|on) ",
            r"(?:i was|i got|i'?ve been|i have been) (?:attacked|assaulted|stabbed|shot|mugged"
            r"|beaten up)",
            r"(?:i )?(?:carry|carrying|keep) a (?:knife|weapon|blade|gun)",
            r"(?:i want to|i'?m going to|i am going to|i'?ll) (?:hurt|kill|stab) (?:the|that|this)"
            r" (?:man|woman|guy|bloke)",
        ],
        "danger": [
            r"(?:i|we) (?:don'?t|do not|never|no longer) feel safe",
            r"(?:i'?m|i am|we'?re|we are|i feel|we feel) (?:not|no longer) safe",
            r"(?:afraid|scared|fear|terrified) for my (?:life|safety|children|kids)",
            r"(?:i'?m|i am|we'?re|we are|my life is|my children are|my kids are) in danger",
            r"(?:i|we) (?:have|'?ve got|got) nowhere (?:safe )?to (?:go|sleep|stay)",
            r"(?:i'?m|i am|we'?re|we are|been) sleeping (?:rough|on the streets?"
            r"|in (?:my|the|our|a) car)",
            r"(?:he|she|they)(?:'ll| will| is going to| are going to|'s going to) (?:find|hurt)"
            r" (?:me|us|my)",
        ],
        "distressing": [
            r"covered in blood",
            r"pool of blood",
            r"blood everywhere",
            r"bleeding (?:from|heavily|badly|everywhere)",
            r"dead bod\w*",
            r"tortured (?:me|us|him|her|them)",
            r"mutilated",
        ],
    },
    "es": {
        "suicide": [
            r"quitarme la vida",
            r"(?:quiero|quisiera|voy a|pienso en|pense en|he pensado en) (?:matarme|suicidarme)",
            r"me (?:quiero|quisiera) (?:morir|matar|suicidar)",
            r"(?:quiero|quisiera|deseo) morir(?:me)?",
            r"(?:no|ya no) quiero (?:vivir|seguir viviendo|seguir aqui|despertar)",
            r"(?:no|ya no) tengo ganas de vivir",
            r"acabar con mi vida",
            r"(?:quiero|quisiera) acabar con todo",
            r"(?:estaria|estarian|estaríamos) mejor (?:muert[oa]s?|sin mi)",
            r"no vale la pena vivir",
            r"sin (?:razon|motivo) para vivir",
            r"(?:pienso|pense|he pensado|pensando) en (?:el )?suicidi\w*",
            r"(?:intente|he intentado|intento) (?:suicidarme|quitarme la vida|matarme)",
            r"(?:tome|tomar|tomarme|me tome) (?:una )?sobredosis",
        ],
        "self_harm": [
            r"(?:hacerme|me hago|me hice|me he hecho) dano",
            r"(?:me )?autolesion(?:o|e|arme|ando)\b",
            r"mis autolesiones",
            r"me hice (?:un corte|cortes)",
            r"(?:cortarme|me corto|me corte|me cortaba|me he cortado) (?:los brazos|las venas"
            r"|las munecas|la piel|las piernas)",
            r"lastimarme",
            r"me lastimo",
            r"me quemo (?:los brazos|la piel|con)",
        ],
        "abuse": [
            r"(?:me|nos) (?:pega|pegaba|golpea|golpeaba|maltrata|maltrataba|viola|violo|violaba)\b",
            r"(?:sufri|sufro|sufria|he sufrido|vivi|victima de|escape de|hui de) (?:la |el )?"
            r"(?:violencia|maltrato|abusos?)",
            r"abus\w* (?:sexualmente )?de mi\b(?! paciencia)",
            r"(?:me violaron|me violo|fui violada|fui violado)",
            r"(?:sufri|fui victima de) (?:una )?(?:agresion|acoso) sexual",
        ],
        "violence": [
            r"(?:voy a|quiero|pienso) (?:matarlo|matarla|matarlos|apunalarlo|apunalarla)",
            r"(?:lo|la|los) voy a matar",
            r"(?:lo|la) mato\b",
            r"le clavo (?:la|el|un|una) (?:navaja|cuchillo)",
            r"(?:me|nos) amenaz\w* (?:de muerte|con (?:matar\w*|un cuchillo|una navaja|una pistola"
            r"|un arma|pegar\w*|hacer\w* dano))",
            r"amenaz\w* de muerte",
            r"me (?:saco|puso|apunto) (?:con )?(?:un|una) (?:cuchillo|navaja|pistola|arma)",
            r"(?:llevo|cargo) (?:un |una )?(?:cuchillo|navaja|arma)",
            r"(?:me agredi\w*|fui agredid[oa]|nos agredi\w*)",
        ],
        "danger": [
            r"no me siento segur[oa]",
            r"no (?:estoy|estamos) segur[oa]s? (?:en|aqui|alli|con)\b",
            r"no (?:estoy|estamos) a salvo",
            r"miedo por mi vida",
            r"temo por (?:mi vida|mis hijos|mi seguridad)",
            r"(?:estoy|estamos|mi vida esta|mis hijos estan) en peligro",
            r"mi vida corre peligro",
            r"(?:duermo|dormimos|durmiendo) en (?:la calle|el coche|mi coche|el carro)",
            r"no (?:tengo|tenemos) (?:a )?donde (?:dormir|ir|quedarme|quedarnos)",
            r"me va a hacer dano",
            r"miedo (?:de|a) que (?:me|nos) (?:haga dano|mate|encuentre)",
        ],
        "distressing": [
            r"(?:lleno|llena|cubierto|cubierta|banado|banada) (?:en|de) sangre",
            r"ensangrentad\w*",
            r"sangrando",
            r"cadaver\w*",
            r"(?:me|nos|lo|la) torturaron",
            r"mutilad[oa]s?",
        ],
    },
    "fr": {
        "suicide": [
            r"me suicider",
            r"(?:veux|vais|voudrais|envie de|pense a|penser a|essaye de|tente de) me tuer",
            r"(?:pense|pensé|penser|pensais) au suicide",
            r"(?:j'ai|j ai|je fais|mes) (?:des |encore des )?idees (?:suicidaires|noires)",
            r"mettre fin a (?:mes jours|ma vie)",
            r"(?:je veux|j'ai envie d'|envie d'|je pense a|penser a|je vais) en finir"
            r"(?:\s*[.,!;]|\s*$| avec (?:la vie|tout|moi))",
            r"(?:envie|veux|voudrais) (?:de )?mourir",
            r"je pense a mourir",
            r"plus envie de vivre",
            r"(?:je ne veux|je veux) plus vivre",
            r"(?:serais|serait|seraient) mieux (?:mort|morte|sans moi)",
            r"(?:prendre|pris|avale|avaler) (?:une )?(?:surdose|overdose)",
            r"(?:me jeter|je me jette) (?:sous|du|par)",
        ],
        "self_harm": [
            r"(?:envie de|je veux|je vais|pour) me faire du mal",
            r"je me fais du mal",
            r"(?:me|se) scarifi\w*",
            r"m'automutil\w*",
            r"me couper les (?:veines|bras|poignets)",
            r"je me (?:suis )?(?:re)?coupe(?:e)?\b(?! de)",
            r"(?:envie de|je veux|pour) me blesser",
            r"(?:je me brule|me bruler)",
        ],
        "abuse": [
            r"(?:il|elle|mon mari|ma femme|mon conjoint|ma conjointe|mon pere|ma mere|mon copain"
            r"|mon ex|mon beau-pere) (?:me|nous) (?:frappe|frappait|bat|battait|viole|violait"
            r"|maltraite|maltraitait|etrangle|etranglait)\b",
            r"(?:j'ai|j ai) (?:subi|vecu) (?:des |les )?(?:violences|maltraitances|abus|viols?)",
            r"(?:a|ont) abuse de moi",
            r"(?:j'ai ete|m'a|m'ont) violee?s?\b",
            r"(?:j'ai subi|victime d') une agression sexuelle",
            r"(?:victime d'|j'ai subi un |j'ai subi l')inceste",
            r"m'a (?:frappee?|battue?|etranglee?|serre le cou)",
        ],
        "violence": [
            r"(?:tuer|poignarder|frapper|tirer sur) (?:quelqu'un|quelqu un|les gens)",
            r"je (?:vais|veux) le (?:tuer|planter|poignarder)",
            r"je (?:le|la) tue\b",
            r"(?:me|nous) menac\w* (?:de mort|de (?:me|nous) tuer|avec un couteau|d'un couteau)",
            r"menac\w* de mort",
            r"(?:sorti|sort|pointe|pointait|brandi) (?:un|une) (?:couteau|arme|pistolet)",
            r"(?:garde|porte|j'ai) (?:un|une) (?:couteau|arme) (?:sur moi|dans mon sac)",
            r"(?:j'ai ete|on m'a|m'a|me suis fait) agresse\w*",
        ],
        "danger": [
            r"(?:je ne me sens|je ne suis|nous ne sommes|on n'est) (?:pas|plus) en securite",
            r"peur pour ma vie",
            r"crains pour (?:ma vie|mes enfants|ma securite)",
            r"(?:je suis|nous sommes|ma vie est|mes enfants sont) en danger",
            r"(?:je dors|nous dormons|on dort) (?:dans la rue|dehors|dans (?:ma|la) voiture)",
            r"nulle part ou (?:dormir|aller)",
            r"va me faire du mal",
            r"peur qu'(?:il|elle) (?:\w+ )?(?:et )?(?:me|nous) (?:tue|retrouve|fasse du mal)",
        ],
        "distressing": [
            r"(?:couvert|couverte|plein|pleine) de sang",
            r"ensanglant\w*",
            r"baignait dans (?:son|le) sang",
            r"cadavre\w*",
            r"(?:m'a|m'ont|l'ont|ont) tortur\w*",
            r"mutile\w*",
        ],
    },
    "ar": {
        "suicide": [
            r"(?:افكر|فكرت|اخطط|حاولت) (?:في )?(?:ال)?انتحار",
            r"(?:ان|س)انتحر",
            r"اقتل نفسي",
            r"قتل نفسي",
            r"انهي حياتي",
            r"انهاء حياتي",
            r"اريد ان اموت",
            r"اريد الموت",
            r"ابغى اموت",
            r"الموت افضل لي",
            r"لا اريد ان اعيش",
            r"لا اريد العيش",
            r"لم اعد اريد (?:ان اعيش|العيش)",
            r"(?:اخذت|ساخذ|اخذ) جرعه زائده",
            r"(?<!كنت )اتمنى الموت",
            r"ما عاد بدي (?:عيش|اعيش)",
            r"(?:ma 3ad|mish|ma) ?badd?i (?:3ish|3eesh|a3ish)",
            r"badd?i (?:mout|moot|emout)",
        ],
        # "كنت ..." (I used to ...) tells of a past the writer has left behind
        "self_harm": [
            r"(?<!كنت )اوذي نفسي",
            r"ايذاء نفسي",
            r"(?<!كنت )اجرح نفسي",
            r"جرح نفسي",
            r"(?<!كنت )اؤذي نفسي",
            r"(?<!كنت )(?:اجرح|احرق|اذي|اؤذي|اضرب) حالي",
        ],
        "abuse": [
            r"يضربني",
            r"يضربنا",
            r"تضربني",
            r"يعنفني",
            r"(?:تعرضت|اتعرض|عانيت|اعاني) (?:لل|ل|الى ال|الى |من ال|من )?"
            r"(?:عنف|اغتصاب|تحرش|اعتداء جنسي)",
            r"اغتصبني",
            r"اغتصبوني",
            r"(?:تحرش|يتحرش|تحرشوا) بي",
            r"يسيء معاملتي",
            r"يخنقني",
            r"يجبرني على (?:العلاقه|الجماع|النوم معه)",
        ],
        "violence": [
            r"يهددني",
            r"هددني",
            r"يهددنا",
            r"تهديد بالقتل",
            r"(?:اخرج|شهر|رفع|حمل|يحمل|احمل) (?:علي )?(?:ال)?(?:سكين|مسدس|سلاح)",
            r"اعتدى علي",
            r"(?:ساقتله|ساقتلها|اريد ان اقتله)",
        ],
        "danger": [
            r"لست في امان",
            r"لا اشعر بالامان",
            r"(?:انا|نحن|حياتي|اطفالي) في خطر",
            r"خايف على حياتي",
            r"اخاف على حياتي",
            r"(?:انام|ننام|نايم|نايمه) (?:في|ب)(?:ال)?(?:شارع|سياره|حديقه)",
            r"(?:اقضي|قضيت) الليل (?:على|في|ب)(?:ال)?(?:رصيف|شارع)",
            r"ليس لدي مكان (?:انام|للنوم|اذهب)",
            r"سيقتلني",
            r"(?:ان )?يؤذيني",
        ],
        "distressing": [
            r"(?:غارق|مغطى|ملطخ)\w* (?:في |ب)(?:ال)?دم",
            r"ينزف",
            r"جثه",
            r"جثث",
            r"(?:عذبني|عذبوني)",
        ],
    },
}


def fold(text: str) -> str:
    """Lower-case, strip accents and tatweel/harakat, fold Arabic letter variants."""
    t = unicodedata.normalize("NFKD", text.lower())
    t = "".join(ch for ch in t if not unicodedata.combining(ch))
    t = t.replace("\u0640", "")  # tatweel
    t = re.sub(r"[\u064B-\u0652\u0670]", "", t)  # harakat
    t = re.sub("[إأآا]", "ا", t).replace("ة", "ه").replace("ى", "ي")
    return t.replace("’", "'")


@functools.lru_cache(maxsize=8)
def _compiled(language: str) -> tuple[re.Pattern[str], list[tuple[str, re.Pattern[str], str]]]:
    """One pattern for "does anything match?" and the patterns one by one."""
    out = []
    for kind, patterns in LEXICON[language].items():
        for p in patterns:
            folded = fold(p) if language == "ar" else p
            # word start; Arabic may carry prefix letters (و ف ب ل ك) and the article ال
            prefix = r"(?:^|(?<=\s))(?:[وفبلك]{0,2}|[وفبلك]?ال)" if language == "ar" else r"\b"
            out.append((kind, re.compile(prefix + folded), p))
    # most answers match nothing: one scan of them all is much cheaper than one per pattern
    anything = re.compile("|".join(f"(?:{pattern.pattern})" for _, pattern, _ in out))
    return anything, out


def flag(text: str, language: str = "") -> list[Flag]:
    """Flags raised by ``text``; all four lexicons are tried when the language is unknown.

    Offsets refer to the folded text, which has the same length as the input
    for Latin and Arabic letters except where combining marks were removed.
    """
    if not text:
        return []
    folded = fold(text)
    languages = [language] if language in LEXICON else list(LEXICON)
    if language in LEXICON and language != "en":
        languages.append("en")  # English phrases turn up in every language's answers
    found: dict[tuple[str, int], Flag] = {}
    for lang in languages:
        anything, patterns = _compiled(lang)
        if anything.search(folded) is None:
            continue
        for kind, pattern, _source in patterns:
            for m in pattern.finditer(folded):
                found.setdefault((kind, m.start()), Flag(kind, m.group(), m.start(), m.end()))
    return sorted(found.values(), key=lambda f: (f.start, f.kind))


def is_risk(flags: list[Flag]) -> bool:
    return any(f.kind in RISK_KINDS for f in flags)
