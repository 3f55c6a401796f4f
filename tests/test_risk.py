"""Tests for bot.safety risk-language detection.

Decisions on debatable phrases (recall beats precision, but common idioms stay quiet):
* hits: hedged statements ("not sure I want to live"), past ideation/attempts, third-party
  risk ("she wants to kill herself"), "I can't do this anymore", "I want to disappear",
  "I'd rather be dead", "going to kill him" (hyperbole possible - accepted cost).
* not hits: "this killed me", "kill the lights", "dead tired", "dead inside" (too common in
  therapy talk), "I could kill for a coffee", "deadline is killing me", "died laughing",
  "killer workout", "Suicide Squad", "kill me now", "mom is going to kill me", topic
  mentions ("suicide prevention"), recovery milestones ("haven't cut myself in 100 days"),
  and negated statements ("I'm not suicidal", "I would never kill myself").
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.safety.evaluate import RiskCase, evaluate, load_cases, parse_cases
from bot.safety.normalize import keys
from bot.safety.phrasefile import PhraseFileError
from bot.safety.risk import (
    RiskDetector,
    RiskMatch,
    _packaged_files,
    detector_from_env,
    load_detector,
    normalize,
)

CASES_TSV = """\
# Labelled risk-language cases: language<TAB>label (pos|neg)<TAB>text<TAB>note
# pos = the bot must reply with crisis resources and alert facilitators.
# "debatable" notes record a decision; see the module docstring.
en\tpos\tI want to die
en\tpos\ti just want to die tbh
en\tpos\tI WANT TO DIE!!!
en\tpos\ti want to fucking die\twildcard
en\tpos\thonestly i wanna die 😞\twanna + emoji
en\tpos\tI wish I was dead
en\tpos\tsometimes i wish i were dead
en\tpos\tI'm going to kill myself tonight
en\tpos\ti'm gonna kill myself
en\tpos\tI’ve been thinking about killing myself\tcurly apostrophe
en\tpos\tI keep thinking of killing myself
en\tpos\tI feel like killing myself
en\tpos\tI want to end my life
en\tpos\tI'm ready to end it all.
en\tpos\tI've decided to take my own life
en\tpos\tI'm suicidal
en\tpos\tI've been feeling really suicidal lately
en\tpos\tI have suicidal thoughts every night
en\tpos\tBeen thinking about suicide a lot
en\tpos\tI'm not sure I want to live anymore\thedged negation is risk
en\tpos\tI don't know if I want to live\thedge
en\tpos\tI don't want to live anymore\tnegation inside phrase
en\tpos\tI dont want to be alive
en\tpos\tI can't go on like this\tnegation inside phrase
en\tpos\tI cant take it anymore
en\tpos\tI can't do this anymore\tdebatable: venting, accepted for recall
en\tpos\tThere's no reason to live
en\tpos\tI have nothing to live for
en\tpos\twhat's the point of living
en\tpos\tLife isn't worth living
en\tpos\tEveryone would be better off without me
en\tpos\tMy family would be better off without me
en\tpos\tI'm such a burden to everyone
en\tpos\tI'm a burden on my family
en\tpos\tNo one would miss me if I was gone
en\tpos\tnobody would care if i died
en\tpos\tI feel hopeless
en\tpos\tI've given up on life
en\tpos\tI'm so tired of living
en\tpos\tI don't want to wake up tomorrow
en\tpos\tI hope I don't wake up
en\tpos\tI want to go to sleep and never wake up again
en\tpos\tI want to disappear\tdebatable: passive ideation, accepted
en\tpos\tI wish I had never been born
en\tpos\tI hurt myself again last night
en\tpos\tI cut myself again
en\tpos\tI've started cutting myself again
en\tpos\tI want to hurt myself
en\tpos\tI've been self-harming\thyphen
en\tpos\tI relapsed with self harm
en\tpos\tI want to slit my wrists
en\tpos\tI keep wanting to burn myself
en\tpos\tI've been saving up my pills
en\tpos\tHow many pills would it take
en\tpos\twhat's the lethal dose of paracetamol
en\tpos\tI took an overdose last night
en\tpos\tI bought a rope today
en\tpos\tI'm planning my suicide
en\tpos\tI wrote a suicide note
en\tpos\tI want to jump off a bridge
en\tpos\tI'm going to jump in front of a train
en\tpos\tI tried to kill myself last year\tpast attempt is risk history
en\tpos\tGoodbye everyone, thank you for everything
en\tpos\tThis is goodbye.
en\tpos\tBy the time you read this I'll be gone
en\tpos\tThis is my last message
en\tpos\tI won't be around much longer
en\tpos\tI'm giving away my things
en\tpos\tI want to kill someone
en\tpos\tI'm going to hurt someone
en\tpos\tI'm going to kill him\tdebatable: hyperbole possible, accepted
en\tpos\tHe hits me when he's drunk
en\tpos\tMy husband beats me, he beats me every week
en\tpos\tHe threatened to kill me
en\tpos\tI'm scared for my life
en\tpos\tI don't feel safe at home
en\tpos\tHe raped me
en\tpos\ti want to k1ll mys3lf\tleetspeak
en\tpos\tI want to k i l l myself\tspaced letters
en\tpos\ti wanna dieeeee\trepeated letters
en\tpos\ti'm gonna kms\tslang
en\tpos\tI want to unalive myself\talgospeak
en\tpos\tI'd rather be dead\tdebatable: hyperbole possible, accepted
en\tpos\tI'm not sure I want to live\thedge
en\tpos\tI don't think I can go on
en\tpos\tHonestly? I want to die.
en\tpos\tI’m done. I want to end it all 🙃
en\tpos\tI'm not okay, I want to die\tnegator in other clause
en\tpos\tNo one would notice if I disappeared
en\tpos\tI've never felt so suicidal\tnegator does not govern
en\tpos\tI can't live like this anymore
en\tpos\tI'm thinking about ending my life
en\tpos\tIm not going to lie I want to die\tnegator does not govern
en\tpos\tI'm going to hang myself
en\tpos\tI want to shoot myself
en\tpos\tI'd rather die than keep living like this
en\tpos\tMy friend says she wants to kill herself\tthird-party risk
en\tpos\tI used to want to die and sometimes still do\tpast ideation counts
en\tpos\tI WANT TO DIE 😭😭😭
en\tpos\tI want to die...\tellipsis
en\tpos\ti want to... die\tellipsis inside phrase
en\tpos\tI don't even want to live\twildcard in negated phrase
en\tpos\tI wish I could just die
en\tpos\tI want 2 die\t2 for to
en\tpos\tI'm a burden. No reason to live.
en\tpos\tI've been stockpiling pills
en\tpos\tNobody would miss me
en\tpos\tKill yourself\tharassment
en\tpos\tHe choked me last night
en\tpos\tI'm in danger, please help
en\tneg\tThis killed me 😂 so funny\tidiom
en\tneg\tI'm not suicidal, just tired\tnegation
en\tneg\tI am not suicidal\tnegation
en\tneg\tI'm not suicidal anymore\tnegation
en\tneg\tI would never kill myself\tnegation
en\tneg\tI'd never hurt myself\tnegation
en\tneg\tI'm not going to hurt myself, I promise\tnegation
en\tneg\tI don't want to die\tnegation
en\tneg\tI really don't want to die\tnegation
en\tneg\tI'm no longer suicidal\tnegation
en\tneg\tI haven't self harmed in three months!\trecovery milestone
en\tneg\tI haven't cut myself in 100 days\trecovery milestone
en\tneg\tI don't have suicidal thoughts\tnegation
en\tneg\tI'm not having any suicidal thoughts\tnegation
en\tneg\tCan you kill the lights?\tidiom
en\tneg\tI'm dead tired after work\tidiom (decided negative)
en\tneg\tI could kill for a coffee\tidiom
en\tneg\tThis deadline is killing me\tidiom
en\tneg\tI died laughing at that video\tidiom
en\tneg\tThat was a killer workout\tidiom
en\tneg\tDid you see the Suicide Squad movie?\ttitle
en\tneg\tI'm dying to see the new movie\tidiom
en\tneg\tMy phone is dead\tidiom
en\tneg\tThat joke killed me\tidiom
en\tneg\tWe need to kill some time before the session\tidiom
en\tneg\tMy grandmother died last year and I still miss her\tgrief, not risk
en\tneg\tMy dog died on Sunday\tgrief
en\tneg\tIn group today we talked about suicide prevention\ttopic mention
en\tneg\tThe crisis line number is 988\tresource mention
en\tneg\tI want to live a long and happy life\tprotective
en\tneg\tI want to live by the sea\tprotective
en\tneg\tI cut myself shaving this morning\texclusion
en\tneg\tI accidentally cut myself while cooking\texclusion
en\tneg\tI hurt myself playing football\texclusion
en\tneg\tI really shot myself in the foot there\tidiom
en\tneg\tThis cake is to die for\tidiom
en\tneg\tI'm going to die of embarrassment\tidiom
en\tneg\tMy mom is going to kill me when she sees my grades\thyperbole
en\tneg\tUgh, Monday meetings. Kill me now.\thyperbole (decided negative)
en\tneg\tI'm so tired today
en\tneg\tI feel much better after talking to you
en\tneg\tI'm grateful for this group
en\tneg\tThank you everyone, see you next week!
en\tneg\tGoodbye for now, see you Thursday
en\tneg\tI'm taking my pills every morning as prescribed
en\tneg\tThe doctor changed my dose
en\tneg\tI jumped off the pier into the lake last summer
en\tneg\tI'm burned out at work
en\tneg\tI'm hopeful about the future
en\tneg\tThe battery died
en\tneg\tDead Man Walking is a great film
en\tneg\tI'm not feeling hopeless today\tnegation
en\tneg\tI don't feel hopeless\tnegation
en\tneg\tI beat my personal record at the gym
en\tneg\tShe beat me at chess
en\tneg\tHe hit me up on WhatsApp yesterday\texclusion
en\tneg\tBeats me why the bus is late\tidiom
en\tneg\tIt hits me how far I've come
en\tneg\tLife is worth living again\tprotective
en\tneg\tI found a reason to live\tprotective
en\tneg\tMy kids are my reason to live\tprotective
en\tneg\tI'm not going to give up on life\tnegation
en\tneg\tI never want to give up
en\tneg\tI can't go to the meeting tonight
en\tneg\tI can't take the bus today
en\tneg\tI can't do this exercise
en\tneg\tNobody would miss the old office printer
en\tneg\tMy backpack is a burden on long walks
en\tneg\tI'm going to kill it at my interview tomorrow\tidiom
en\tneg\tWe killed it on stage last night\tidiom
en\tneg\tThe suspense is killing me\tidiom
en\tneg\tI laughed so hard I nearly died\tidiom
en\tneg\tI'm dying of thirst\tidiom
en\tneg\tKill the engine before you get out\tidiom
en\tneg\tThe stain will disappear after washing
en\tneg\tDon't kill yourself over this assignment, it's fine\tnegated idiom
en\tneg\tNot today, Satan
en\tneg\tThis movie about a suicide bomber was intense\ttopic mention
en\tneg\tI read an article on self-harm awareness\texclusion
en\tneg\tI never thought I'd feel this good again
en\tneg\tNo way! That's amazing
en\tneg\tI'm not dead yet, haha, just busy
en\tneg\tMy plants keep dying
en\tneg\tKiller app idea
en\tneg\tHe's a lady killer\tidiom
en\tneg\tRunning that marathon nearly killed me\tidiom
en\tneg\tI'd kill to have your hair\tidiom
en\tneg\tI'm not going to kill myself, don't worry\tnegation
en\tneg\tI am no longer thinking about suicide\tnegation
en\tneg\tI've never tried to kill myself\tnegation of longer phrase
en\tneg\tI've never self harmed\tnegation
en\tneg\tI'm not suicidal at all\tnegation
en\tneg\tNot suicidal, just venting\tnegation
en\tneg\tI wouldn't hurt myself\tnegation
en\tneg\tI won't hurt myself\tnegation
en\tneg\tI am not going to end my life\tnegation
en\tneg\tI don't want to hurt anyone
en\tneg\tI'm not planning to kill myself\tnegation
en\tneg\tI will never take my own life\tnegation
en\tneg\tI'm NOT SUICIDAL!!!\tnegation, caps
en\tneg\ti do not want to die\texpanded negation
en\tneg\tI'd never ever kill myself\tnegation
en\tneg\tMy cat is a killer of mice
en\tneg\tThe heat is killing my plants\tidiom
en\tneg\tLet's kill two birds with one stone\tidiom
de\tpos\tIch will sterben
de\tpos\tich will nicht mehr leben
de\tpos\tIch möchte einfach nur sterben
de\tpos\tICH WILL MICH UMBRINGEN
de\tpos\tIch denke daran, mich umzubringen
de\tpos\tIch habe Suizidgedanken
de\tpos\tIch bin suizidal
de\tpos\tIch wünschte, ich wäre tot\tcomma inside phrase
de\tpos\tIch kann nicht mehr weiter
de\tpos\tIch halte es nicht mehr aus
de\tpos\tAlle wären besser dran ohne mich
de\tpos\tIch bin eine Last für alle
de\tpos\tIch ritze mich wieder
de\tpos\tIch habe Tabletten gesammelt
de\tpos\tDas ist mein Abschiedsbrief
de\tpos\tEr schlägt mich jeden Tag
de\tpos\tIch habe Angst um mein Leben
de\tpos\tIch möchte mir das Leben nehmen
de\tpos\tEs hat alles keinen Sinn mehr
de\tpos\tNiemand würde mich vermissen
de\tpos\tich moechte sterben\toe spelling
de\tpos\tIch weiß nicht, ob ich noch leben will\thedge
de\tneg\tIch bin nicht suizidal\tnegation
de\tneg\tIch will nicht sterben\tnegation
de\tneg\tIch würde mich nie umbringen\tnegation in wildcard slot
de\tneg\tIch habe keine Suizidgedanken\tnegation
de\tneg\tIch bin todmüde\tidiom
de\tneg\tDer Film war zum Totlachen\tidiom
de\tneg\tIch sterbe vor Hunger\tidiom
de\tneg\tMein Handy ist tot
de\tneg\tIch bringe den Müll raus
de\tneg\tIch will nicht mehr warten
de\tneg\tIch kann nicht mehr kommen
de\tneg\tDas Leben ist schön
de\tneg\tIch habe mich beim Kochen geschnitten
de\tneg\tIch freue mich auf die Gruppe
de\tneg\tMeine Oma ist letztes Jahr gestorben
de\tneg\tIch bin nicht mehr suizidal\tnegation
de\tneg\tIch werde mir nie das Leben nehmen\tnegation
fr\tpos\tJe veux mourir
fr\tpos\tje veux mourir 😢
fr\tpos\tJ'ai envie de mourir
fr\tpos\tJE VEUX ME SUICIDER
fr\tpos\tJe pense à me tuer
fr\tpos\tJe n'ai plus envie de vivre\tnegation inside phrase
fr\tpos\tJe ne veux plus vivre\tnegation inside phrase
fr\tpos\tJe n'en peux plus
fr\tpos\tJ'ai des idées suicidaires
fr\tpos\tJ’ai des pensées suicidaires
fr\tpos\tJe suis suicidaire
fr\tpos\tJe suis de plus en plus suicidaire\tnot-negation
fr\tpos\tJe veux mettre fin à mes jours
fr\tpos\tIls seraient mieux sans moi
fr\tpos\tJe suis un fardeau pour ma famille
fr\tpos\tJe me scarifie encore
fr\tpos\tJ'ai écrit une lettre d'adieu
fr\tpos\tIl me frappe tous les soirs
fr\tpos\tJ'ai peur pour ma vie
fr\tpos\tPersonne ne me regretterait
fr\tneg\tJe ne suis pas suicidaire\tnegation
fr\tneg\tJe ne veux pas mourir\tnegation
fr\tneg\tJe ne vais pas me tuer\tnegation
fr\tneg\tJe ne me suiciderai jamais\tnegation
fr\tneg\tJe n'ai pas envie de mourir\tnegation
fr\tneg\tJe ne suis plus suicidaire\tnegation
fr\tneg\tJe suis mort de rire\tidiom
fr\tneg\tJe meurs de faim\tidiom
fr\tneg\tCe film est mortel\tidiom
fr\tneg\tMon téléphone est mort
fr\tneg\tJe me suis coupé en cuisinant
fr\tneg\tJ'ai hâte d'en finir avec ce projet
fr\tneg\tJe veux vivre longtemps
fr\tneg\tLa vie est belle
fr\tneg\tJ'ai tué le temps en lisant\tidiom
fr\tneg\tCe travail me tue\tidiom
fr\tneg\tJe n'ai jamais pensé au suicide\tnegation
es\tpos\tQuiero morir
es\tpos\tquiero morirme
es\tpos\tQUIERO MORÍRME\tcaps + accent
es\tpos\tMe quiero morir
es\tpos\tTengo ganas de morir
es\tpos\tVoy a suicidarme
es\tpos\tQuiero quitarme la vida
es\tpos\tYa no quiero vivir\tnegation inside phrase
es\tpos\tNo puedo más\tnegation inside phrase
es\tpos\tNo aguanto más, quiero acabar con mi vida
es\tpos\tTengo pensamientos suicidas
es\tpos\tQuiero hacerme daño
es\tpos\tEstarían mejor sin mí
es\tpos\tSoy una carga para mi familia
es\tpos\tVoy a tirarme del puente
es\tpos\tEscribí una carta de despedida
es\tpos\tMi marido me pega
es\tpos\tTengo miedo por mi vida
es\tpos\tNadie me extrañaría
es\tpos\tMe quiero matar
es\tpos\tno se si quiero vivir... no quiero vivir\thedge then statement
es\tneg\tNo quiero morir\tnegation
es\tneg\tNo soy suicida\tnegation
es\tneg\tNo voy a suicidarme\tnegation
es\tneg\tNunca me haría daño\tnegation
es\tneg\tMe muero de risa\tidiom
es\tneg\tMe muero de hambre\tidiom
es\tneg\tMi madre va a matarme cuando vea las notas\thyperbole
es\tneg\tVi la película Escuadrón Suicida\texclusion
es\tneg\tEstoy muerto de cansancio\tidiom
es\tneg\tQuiero vivir muchos años\tprotective
es\tneg\tSe me pega la canción\tidiom
es\tneg\tMe corto el pelo mañana
es\tneg\tYa no tengo pensamientos suicidas\tnegation
es\tneg\tLa batería está muerta
es\tneg\tQuiero mucho a mi familia
es\tneg\tEsta tarea me está matando\tidiom
fr\tpos\tJ'en peux plus de tout ça\tcolloquial, no "ne"
es\tpos\tNo estoy segura de no ser suicida\thedge before negation
en\tpos\tI'm not sure I'm not suicidal\thedge before negation
"""

CASES = parse_cases(CASES_TSV)
POSITIVES = [c for c in CASES if c.expected]
NEGATIVES = [c for c in CASES if not c.expected]
MAX_FALSE_POSITIVES = 0  # on our labelled negative set
DETECTOR = RiskDetector.default()


def _id(case: RiskCase) -> str:
    """Readable pytest id for a case."""
    return f"{case.language}:{case.text[:40]}"


@pytest.mark.parametrize("case", POSITIVES, ids=_id)
def test_positive_detected(case: RiskCase) -> None:
    """Every labelled risk sentence triggers the detector."""
    assert DETECTOR.check(case.text) is not None


def test_false_positives_below_threshold() -> None:
    """Negatives (idioms, negations, topic mentions) stay under the FP threshold."""
    fps = [c.text for c in NEGATIVES if DETECTOR.check(c.text) is not None]
    assert len(fps) <= MAX_FALSE_POSITIVES, fps


def test_case_set_size() -> None:
    """The labelled set is large enough to be meaningful."""
    for lang, minimum in (("en", 80), ("de", 15), ("fr", 15), ("es", 15)):
        assert sum(c.expected for c in CASES if c.language == lang) >= minimum
        assert sum(not c.expected for c in CASES if c.language == lang) >= minimum


def test_evaluate_reports_counts(capsys: pytest.CaptureFixture[str]) -> None:
    """evaluate() returns per-language TP/FP/FN/TN; the numbers are printed for quoting."""
    result = evaluate(DETECTOR, CASES)
    counts = result["counts"]
    with capsys.disabled():
        for lang in sorted(counts):
            print(f"\nrisk eval {lang}: {counts[lang]}", end="")
        print()
    assert set(counts) == {"all", "en", "de", "fr", "es"}
    total = counts["all"]
    assert total["tp"] + total["fn"] == len(POSITIVES)
    assert total["fp"] + total["tn"] == len(NEGATIVES)
    assert total["fn"] == 0
    assert total["fp"] <= MAX_FALSE_POSITIVES


def test_evaluate_counts_errors() -> None:
    """evaluate() classifies misses and false alarms correctly."""
    det = RiskDetector.from_phrases(["want to die"], language="en")
    cases = [
        RiskCase("en", True, "I want to die"),
        RiskCase("en", True, "I am hopeless"),
        RiskCase("en", False, "I want to die laughing"),
        RiskCase("en", False, "hello"),
    ]
    result = evaluate(det, cases)
    assert result["counts"]["en"] == {"tp": 1, "fp": 1, "fn": 1, "tn": 1}
    assert len(result["errors"]) == 2


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("QUIERO MORÍRME", "quiero morirme"),
        ("I’m  NOT\n\tok", "i'm not ok"),
        ("Straße", "strasse"),
        ("k1ll mys3lf", "kill myself"),
        ("k i l l", "kill"),
        ("s.u.i.c.i.d.e", "suicide"),
        ("«non»", '"non"'),
        ("I have 30 pills", "i have 30 pills"),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    """normalize folds case, accents, quotes, leetspeak, spacing and whitespace."""
    assert normalize(raw) == expected


def test_keys_contractions_and_repeats() -> None:
    """Apostrophe/expanded forms and repeated letters produce the same keys."""
    assert keys("I don't") == keys("i do not") == keys("I DONT") == keys("i dont")
    assert keys("dieeee") == keys("die")
    assert keys("ich möchte") == keys("ich moechte")
    assert keys("j'ai") == ["j", "ai"]


@pytest.mark.parametrize(
    ("text", "hit"),
    [
        ("I'm not suicidal", False),
        ("I would never kill myself", False),
        ("I'm not going to hurt myself", False),
        ("I don't want to die", False),
        ("I don't want to live anymore", True),
        ("I can't go on", True),
        ("no reason to live", True),
        ("I'm not sure I want to live", True),
        ("I'm not sure I want to die", True),
        ("I'm not sure I'm not suicidal", True),
        ("I don't know if I'm not suicidal", True),
        ("I'm not sure. I'm not suicidal", False),
        ("I've never felt so suicidal", True),
        ("Not today. I want to die", True),
        ("no, I want to die", True),
        ("I've never tried to kill myself", False),
        ("Ich würde mich nie umbringen", False),
        ("Je suis de plus en plus suicidaire", True),
        ("Je ne suis plus suicidaire", False),
    ],
)
def test_negation_rule(text: str, hit: bool) -> None:
    """Negators cancel only when they govern the phrase; built-in negation always hits."""
    assert (DETECTOR.check(text) is not None) is hit


def test_match_reports_phrase_not_text() -> None:
    """A match exposes the list phrase, language and category, never the message."""
    match = DETECTOR.check("Zebrafinch says: I want to die tonight")
    assert match == RiskMatch("want to die", "en", "suicidal_ideation")
    assert "Zebrafinch" not in repr(match)
    es = DETECTOR.check("QUIERO MORÍRME")
    assert es is not None and es.language == "es"


def test_find_all_in_order() -> None:
    """find_all returns every surviving match in text order."""
    found = DETECTOR.find_all("I'm not suicidal. But I want to die and he hits me")
    assert [m.phrase for m in found] == ["want to die", "he hits me"]


def test_packaged_lists() -> None:
    """Packaged lists load via importlib.resources with the documented sizes and headers."""
    files = dict(_packaged_files())
    assert set(files) == {"en", "de", "fr", "es"}
    assert DETECTOR.languages == {"en", "de", "fr", "es"}
    for lang, text in files.items():
        assert "Sources" in text and "Syntax" in text
        count = sum(1 for p in DETECTOR.phrases if p.language == lang and not p.exclude)
        assert (60 <= count <= 150) if lang == "en" else count >= 25, (lang, count)
    assert RiskDetector.default() is DETECTOR


def test_from_phrases_wildcard_and_exclusion() -> None:
    """Custom phrases support '*' (one word) and '!' exclusions."""
    det = RiskDetector.from_phrases(["# comment", "want to * vanish", "!want to just vanish"])
    assert det.check("I want to really vanish") is not None
    assert det.check("I want to vanish") is None
    assert det.check("I want to just vanish") is None
    assert det.check("I don't want to really vanish") is None  # fallback negators


@pytest.mark.parametrize("bad", ["* leading", "trailing *", "*", "@bogus x", "..."])
def test_bad_phrases_rejected(bad: str) -> None:
    """Malformed phrase lines raise PhraseFileError."""
    with pytest.raises(PhraseFileError):
        RiskDetector.from_phrases([bad])


def test_load_detector_extend_and_replace(tmp_path: Path) -> None:
    """RISK_PHRASES_FILE extends the default list or replaces it."""
    extra = tmp_path / "en.txt"
    extra.write_text("@category local\nfeel like vanishing\n", encoding="utf-8")
    extended = load_detector(str(extra), replace=False)
    replaced = load_detector(str(extra), replace=True)
    assert load_detector(None, replace=False) is DETECTOR
    for det in (extended, replaced):
        match = det.check("I feel like vanishing")
        assert match is not None and match.category == "local"
        assert det.check("I don't feel like vanishing") is None
    assert extended.check("I want to die") is not None
    assert replaced.check("I want to die") is None


def test_detector_from_env(tmp_path: Path) -> None:
    """detector_from_env reads RISK_PHRASES_FILE / RISK_PHRASES_REPLACE like bot.settings."""
    extra = tmp_path / "site.txt"
    extra.write_text("feel like vanishing\n", encoding="utf-8")
    det = detector_from_env({"RISK_PHRASES_FILE": str(extra), "RISK_PHRASES_REPLACE": "true"})
    assert det.check("feel like vanishing") is not None
    assert det.check("I want to die") is None
    merged = detector_from_env({"RISK_PHRASES_FILE": str(extra)})
    assert merged.check("I want to die") is not None
    assert detector_from_env({"RISK_PHRASES_FILE": " "}) is DETECTOR
    with pytest.raises(ValueError):
        detector_from_env({"RISK_PHRASES_FILE": str(extra), "RISK_PHRASES_REPLACE": "maybe"})


def test_load_cases_file(tmp_path: Path) -> None:
    """Cases can also be kept in a TSV file."""
    path = tmp_path / "cases.tsv"
    path.write_text("# c\nen\tpos\tI want to die\tnote\nen\tneg\thello\n", encoding="utf-8")
    assert load_cases(path) == [
        RiskCase("en", True, "I want to die", "note"),
        RiskCase("en", False, "hello"),
    ]


def test_long_message_is_fast() -> None:
    """A 4,000-character message is checked in about a millisecond."""
    base = "Honestly, I'm not sure what to say today - work was long and the bus was late. "
    text = (base * 60)[:3990] + " want to die"
    DETECTOR.check(text)
    runs = []
    for _ in range(30):
        start = time.perf_counter()
        assert DETECTOR.check(text) is not None
        runs.append(time.perf_counter() - start)
    median_ms = sorted(runs)[len(runs) // 2] * 1000
    print(f"\nmedian check time for 4000 chars: {median_ms:.3f} ms")
    assert median_ms < 10  # generous bound for slow CI; typically < 1 ms


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=500))
def test_arbitrary_text_never_raises(text: str) -> None:
    """Any text can be normalised and checked without raising."""
    assert isinstance(normalize(text), str)
    result = DETECTOR.check(text)
    assert result is None or isinstance(result, RiskMatch)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_risk_sentence_found_after_arbitrary_prefix(prefix: str) -> None:
    """A clear risk sentence is detected whatever text comes before it."""
    assert DETECTOR.check(prefix + ". I want to die.") is not None
