"""The demo round: a realistic draft policy for a community support service.

All content is written in English, Spanish, French and Arabic. Texts are kept
per language so translations read as natural text, not word for word.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from codesign.models import (
    NewQuestion,
    NewRound,
    NewSection,
    QuestionText,
    RoundText,
    SectionText,
    SupportContact,
)
from codesign.store import rounds as round_store
from codesign.store.db import Database

DEMO_SLUG = "demo"
LOCALES = ("en", "es", "fr", "ar")

ROUND = {
    "en": {
        "title": "Our appointments policy: what would you change?",
        "organisation": "Riverside Community Support",
        "purpose": (
            "We are rewriting how we book appointments, what happens when an appointment "
            "is missed, and how you can complain. We want this policy to work for the "
            "people who use our service, so we are asking you before we decide."
        ),
        "readers": (
            "A review board of six people: three staff members and three people who use "
            "our service. They read every answer. We take out names, phone numbers and "
            "other personal details before they see it."
        ),
        "next_steps": (
            "The board will read all the feedback, group it into themes and answer each "
            "theme. We will publish what you said and what we changed on this site."
        ),
        "data_use": (
            "You don't need to give your name. We don't record your IP address or your "
            "device. We keep your answers for one year, then delete them. You can delete "
            "your answers at any time with your private code."
        ),
    },
    "es": {
        "title": "Nuestras normas sobre las citas: ¿qué cambiaría usted?",
        "organisation": "Riverside Community Support",
        "purpose": (
            "Estamos reescribiendo cómo se piden las citas, qué pasa cuando alguien falta a una "
            "cita y cómo puede presentar una queja. Queremos que estas normas funcionen para las "
            "personas que usan nuestro servicio. Por eso le preguntamos antes de decidir."
        ),
        "readers": (
            "Un comité de revisión de seis personas: tres miembros del personal y tres personas "
            "que usan nuestro servicio. Leen todas las respuestas. Antes de que las vean, "
            "quitamos los nombres, los números de teléfono y otros datos personales."
        ),
        "next_steps": (
            "El comité leerá todas las opiniones, las agrupará por temas y responderá a cada "
            "tema. Publicaremos en este sitio lo que usted nos dijo y lo que cambiamos."
        ),
        "data_use": (
            "No necesita dar su nombre. No registramos su dirección IP ni su dispositivo. "
            "Guardamos sus respuestas durante un año y después las borramos. Puede borrar sus "
            "respuestas en cualquier momento con su código privado."
        ),
    },
    "fr": {
        "title": "Nos règles pour les rendez-vous\u00a0: que changeriez-vous\u00a0?",
        "organisation": "Riverside Community Support",
        "purpose": (
            "Nous réécrivons nos règles\u00a0: comment prendre rendez-vous, ce qui se passe quand "
            "un rendez-vous est manqué, et comment faire une réclamation. Nous voulons que ces "
            "règles fonctionnent pour les personnes qui utilisent notre service. C’est pourquoi "
            "nous vous demandons votre avis avant de décider."
        ),
        "readers": (
            "Un comité de six personnes\u00a0: trois membres de l’équipe et trois personnes qui "
            "utilisent notre service. Elles lisent toutes les réponses. Avant qu’elles ne les "
            "voient, nous retirons les noms, les numéros de téléphone et les autres informations "
            "personnelles."
        ),
        "next_steps": (
            "Le comité lira tous les avis, les regroupera par thèmes et répondra à chaque thème. "
            "Nous publierons sur ce site ce que vous avez dit et ce que nous avons changé."
        ),
        "data_use": (
            "Vous n’avez pas besoin de donner votre nom. Nous n’enregistrons ni votre adresse IP "
            "ni votre appareil. Nous gardons vos réponses pendant un an, puis nous les "
            "supprimons. Vous pouvez supprimer vos réponses à tout moment avec votre code "
            "personnel."
        ),
    },
    "ar": {
        "title": "سياسة المواعيد لدينا: ما الذي يحتاج إلى تغيير برأيك؟",
        "organisation": "مؤسسة ريفرسايد للدعم المجتمعي",
        "purpose": (
            "نعيد كتابة طريقة حجز المواعيد، وما يحدث عند تفويت موعد، وطريقة تقديم الشكوى. نريد أن "
            "تناسب هذه السياسة الأشخاص الذين يستخدمون خدمتنا، لذلك نسألك قبل أن نقرر."
        ),
        "readers": (
            "لجنة مراجعة من ستة أشخاص: ثلاثة من الموظفين وثلاثة ممن يستخدمون خدمتنا. يقرؤون كل "
            "إجابة. نحذف الأسماء وأرقام الهواتف وغيرها من المعلومات الشخصية قبل أن يروها."
        ),
        "next_steps": (
            "ستقرأ اللجنة كل الآراء، وتجمعها في مواضيع، وتردّ على كل موضوع. سننشر على هذا الموقع "
            "ما قلتموه لنا وما غيّرناه."
        ),
        "data_use": (
            "لا حاجة إلى ذكر اسمك. لا نسجّل عنوان IP الخاص بك ولا معلومات جهازك. نحتفظ بإجاباتك "
            "سنة واحدة، ثم نحذفها. يمكنك حذف إجاباتك في أي وقت باستخدام رمزك الخاص."
        ),
    },
}

CONTACTS = {
    "en": [
        SupportContact(
            name="Riverside support line",
            phone="0800 123 4567",
            hours="Monday to Friday, 9am to 5pm",
            url="",
            description="Talk to a support worker about this policy or anything else.",
            languages="English, Spanish, French and Arabic",
        ),
        SupportContact(
            name="Samaritans (24 hours)",
            phone="116 123",
            hours="Every day, day and night",
            url="https://www.samaritans.org/",
            description="If you are upset or need someone to listen.",
        ),
    ],
    "es": [
        SupportContact(
            name="Línea de apoyo de Riverside",
            phone="0800 123 4567",
            hours="De lunes a viernes, de 9:00 a 17:00",
            url="",
            description=(
                "Hable con una persona de apoyo sobre estas normas o sobre cualquier otra cosa."
            ),
            languages="inglés, español, francés y árabe",
        ),
        SupportContact(
            name="Samaritans (24 horas)",
            phone="116 123",
            hours="Todos los días, de día y de noche",
            url="https://www.samaritans.org/",
            description="Si se siente mal o necesita que alguien le escuche.",
        ),
    ],
    "fr": [
        SupportContact(
            name="Ligne de soutien de Riverside",
            phone="0800 123 4567",
            hours="Du lundi au vendredi, de 9\u00a0h à 17\u00a0h",
            url="",
            description=(
                "Parlez avec une personne de notre équipe de ces règles ou de tout autre sujet."
            ),
            languages="anglais, espagnol, français et arabe",
        ),
        SupportContact(
            name="Samaritans (24\u00a0h sur 24)",
            phone="116 123",
            hours="Tous les jours, jour et nuit",
            url="https://www.samaritans.org/",
            description=(
                "Si vous n’allez pas bien ou si vous avez besoin que quelqu’un vous écoute."
            ),
        ),
    ],
    "ar": [
        SupportContact(
            name="خط الدعم في ريفرسايد",
            phone="0800 123 4567",
            hours="من الاثنين إلى الجمعة، من 9 صباحًا إلى 5 مساءً",
            url="",
            description="يمكنك التحدث إلى أحد موظفي الدعم عن هذه السياسة أو عن أي أمر آخر.",
            languages="الإنجليزية والإسبانية والفرنسية والعربية",
        ),
        SupportContact(
            name="منظمة Samaritans (على مدار الساعة)",
            phone="116 123",
            hours="كل يوم، ليلًا ونهارًا",
            url="https://www.samaritans.org/",
            description="إذا ضاق صدرك أو احتجت إلى من يستمع إليك.",
        ),
    ],
}

AGREE = {
    "en": ("How much do you agree with this section?", ""),
    "es": ("¿Hasta qué punto está de acuerdo con esta sección?", ""),
    "fr": ("Dans quelle mesure êtes-vous d’accord avec cette partie\u00a0?", ""),
    "ar": ("ما مدى موافقتك على هذا القسم؟", ""),
}
CHANGE = {
    "en": (
        "What would you change, add or take out?",
        "You can write as much or as little as you like.",
    ),
    "es": ("¿Qué cambiaría, añadiría o quitaría?", "Puede escribir tanto o tan poco como quiera."),
    "fr": (
        "Qu’aimeriez-vous changer, ajouter ou enlever\u00a0?",
        "Vous pouvez écrire autant ou aussi peu que vous le souhaitez.",
    ),
    "ar": (
        "ما الذي يمكن تغييره أو إضافته أو حذفه برأيك؟",
        "يمكنك الكتابة بالقدر الذي يناسبك، قليلًا كان أو كثيرًا.",
    ),
}

SECTIONS = [
    {
        "en": {
            "title": "Booking an appointment",
            "body_md": (
                "You can book an appointment in three ways:\n\n"
                "- by phone, Monday to Friday, 9am to 5pm\n"
                "- at our front desk\n"
                "- by text message, and we will call you back within one working day\n\n"
                "We will offer you an appointment **within 10 working days**. If you need "
                "an interpreter, tell us when you book and we will arrange one for free."
            ),
            "content_note": "",
        },
        "es": {
            "title": "Pedir una cita",
            "body_md": (
                "Puede pedir una cita de tres maneras:\n\n"
                "- por teléfono, de lunes a viernes, de 9:00 a 17:00\n"
                "- en nuestra recepción\n"
                "- por mensaje de texto, y le devolveremos la llamada en un máximo de un día "
                "laborable\n\n"
                "Le ofreceremos una cita **en un plazo de 10 días laborables**. Si necesita "
                "intérprete, díganoslo al pedir la cita y lo organizaremos gratis."
            ),
            "content_note": "",
        },
        "fr": {
            "title": "Prendre rendez-vous",
            "body_md": (
                "Vous pouvez prendre rendez-vous de trois façons\u00a0:\n\n"
                "- par téléphone, du lundi au vendredi, de 9\u00a0h à 17\u00a0h\n"
                "- à notre accueil\n"
                "- par SMS, et nous vous rappelons sous un jour ouvré\n\n"
                "Nous vous proposerons un rendez-vous **sous 10 jours ouvrés**. Si vous avez "
                "besoin d’un interprète, dites-le-nous quand vous prenez rendez-vous\u00a0: nous "
                "l’organiserons gratuitement."
            ),
            "content_note": "",
        },
        "ar": {
            "title": "حجز موعد",
            "body_md": (
                "يمكنك حجز موعد بثلاث طرق:\n\n"
                "- بالهاتف، من الاثنين إلى الجمعة، من 9 صباحًا إلى 5 مساءً\n"
                "- في مكتب الاستقبال لدينا\n"
                "- برسالة نصية، وسنتصل بك خلال يوم عمل واحد\n\n"
                "سنعرض عليك موعدًا **خلال 10 أيام عمل**. إذا احتجت إلى مترجم، يمكنك إخبارنا عند "
                "الحجز، وسنوفّره لك مجانًا."
            ),
            "content_note": "",
        },
    },
    {
        "en": {
            "title": "If you miss an appointment",
            "body_md": (
                "We know that life can get in the way. If you miss an appointment:\n\n"
                "1. We will send you a text message the same day to check you are okay.\n"
                "2. We will offer you a new appointment.\n"
                "3. If you miss **three appointments in a row** without telling us, we "
                "will write to you to ask if you still want our support. Your place will "
                "stay open for 28 days.\n\n"
                "We will never close your support without trying to contact you first."
            ),
            "content_note": "",
        },
        "es": {
            "title": "Si falta a una cita",
            "body_md": (
                "Sabemos que a veces la vida se complica. Si falta a una cita:\n\n"
                "1. Le enviaremos un mensaje de texto ese mismo día para saber si está bien.\n"
                "2. Le ofreceremos una cita nueva.\n"
                "3. Si falta a **tres citas seguidas** sin avisarnos, le escribiremos para "
                "preguntarle si todavía quiere nuestro apoyo. Guardaremos su plaza durante 28 "
                "días.\n\n"
                "Nunca dejaremos de darle apoyo sin intentar antes hablar con usted."
            ),
            "content_note": "",
        },
        "fr": {
            "title": "Si vous manquez un rendez-vous",
            "body_md": (
                "Nous savons que la vie ne se passe pas toujours comme prévu. Si vous manquez un "
                "rendez-vous\u00a0:\n\n"
                "1. Nous vous enverrons un SMS le jour même pour savoir si tout va bien.\n"
                "2. Nous vous proposerons un nouveau rendez-vous.\n"
                "3. Si vous manquez **trois rendez-vous de suite** sans nous prévenir, nous vous "
                "écrirons pour vous demander si vous voulez toujours notre accompagnement. Votre "
                "place restera ouverte pendant 28 jours.\n\n"
                "Nous n’arrêterons jamais votre accompagnement sans avoir d’abord essayé de vous "
                "contacter."
            ),
            "content_note": "",
        },
        "ar": {
            "title": "إذا فاتك موعد",
            "body_md": (
                "نعرف أن ظروف الحياة قد تحول أحيانًا دون الحضور. إذا فاتك موعد:\n\n"
                "1. سنرسل إليك رسالة نصية في اليوم نفسه لنطمئن عليك.\n"
                "2. سنعرض عليك موعدًا جديدًا.\n"
                "3. إذا فاتتك **ثلاثة مواعيد متتالية** دون إبلاغنا، سنكتب إليك لنسألك إن كنت ما "
                "زلت بحاجة إلى دعمنا. سيبقى مكانك محفوظًا مدة 28 يومًا.\n\n"
                "لن نوقف دعمنا لك أبدًا قبل أن نحاول التواصل معك أولًا."
            ),
            "content_note": "",
        },
    },
    {
        "en": {
            "title": "Keeping you safe",
            "body_md": (
                "Sometimes we are worried that someone is at risk of harm, for example "
                "from violence at home or from self-harm.\n\n"
                "If that happens, we will talk to you first whenever we safely can. We "
                "may need to share information with other services, such as the police "
                "or a doctor, to keep you or someone else safe. We will tell you what we "
                "shared and why, unless that would put someone in danger."
            ),
            "content_note": (
                "This section talks about violence at home, self-harm and sharing "
                "information to keep people safe. You can skip it."
            ),
        },
        "es": {
            "title": "Su seguridad",
            "body_md": (
                "A veces nos preocupa que alguien corra peligro, por ejemplo por violencia en "
                "casa o porque pueda hacerse daño.\n\n"
                "Si eso pasa, hablaremos primero con usted siempre que podamos hacerlo de forma "
                "segura. Puede que tengamos que compartir información con otros servicios, como "
                "la policía o un médico, para proteger su seguridad o la de otra persona. Le "
                "diremos qué compartimos y por qué, salvo si eso pusiera a alguien en peligro."
            ),
            "content_note": (
                "Esta sección habla de violencia en casa, de hacerse daño y de compartir "
                "información para proteger a las personas. Puede saltársela."
            ),
        },
        "fr": {
            "title": "Votre sécurité",
            "body_md": (
                "Parfois, nous craignons qu’une personne soit en danger, par exemple à cause de "
                "violences à la maison ou parce qu’elle risque de se faire du mal.\n\n"
                "Si cela arrive, nous vous en parlerons d’abord, chaque fois que nous pourrons le "
                "faire sans danger. Nous devrons peut-être partager des informations avec "
                "d’autres services, comme la police ou un médecin, pour vous protéger ou pour "
                "protéger quelqu’un d’autre. Nous vous dirons ce que nous avons partagé et "
                "pourquoi, sauf si cela mettait quelqu’un en danger."
            ),
            "content_note": (
                "Cette partie parle de violences à la maison, du fait de se faire du mal, et du "
                "partage d’informations pour protéger les personnes. Vous pouvez la passer."
            ),
        },
        "ar": {
            "title": "الحفاظ على سلامتك",
            "body_md": (
                "نقلق أحيانًا من أن شخصًا ما معرّض للأذى، مثلًا بسبب العنف في البيت أو إيذاء "
                "النفس.\n\n"
                "إذا حدث ذلك، سنتحدث معك أولًا كلما أمكننا ذلك بأمان. قد نحتاج إلى مشاركة بعض "
                "المعلومات مع جهات أخرى، مثل الشرطة أو الطبيب، للحفاظ على سلامتك أو سلامة شخص "
                "آخر. سنخبرك بما شاركناه وسببه، إلا إذا كان ذلك سيعرّض أحدًا للخطر."
            ),
            "content_note": (
                "يتحدث هذا القسم عن العنف في البيت، وإيذاء النفس، ومشاركة المعلومات للحفاظ على "
                "سلامة الناس. يمكنك تخطّيه."
            ),
        },
    },
    {
        "en": {
            "title": "Making a complaint",
            "body_md": (
                "You can complain in any language, in writing, by phone or in person. "
                "Someone can complain for you if you prefer.\n\n"
                "- We will reply **within 5 working days** to say we have your complaint.\n"
                "- We will give you a full answer **within 20 working days**.\n"
                "- Making a complaint will never affect the support you get."
            ),
            "content_note": "",
        },
        "es": {
            "title": "Presentar una queja",
            "body_md": (
                "Puede presentar una queja en cualquier idioma, por escrito, por teléfono o en "
                "persona. Si lo prefiere, otra persona puede presentarla por usted.\n\n"
                "- Le responderemos **en un plazo de 5 días laborables** para decirle que hemos "
                "recibido su queja.\n"
                "- Le daremos una respuesta completa **en un plazo de 20 días laborables**.\n"
                "- Presentar una queja nunca afectará al apoyo que recibe."
            ),
            "content_note": "",
        },
        "fr": {
            "title": "Faire une réclamation",
            "body_md": (
                "Vous pouvez faire une réclamation dans n’importe quelle langue, par écrit, par "
                "téléphone ou en personne. Si vous préférez, quelqu’un peut la faire pour "
                "vous.\n\n"
                "- Nous vous répondrons **sous 5 jours ouvrés** pour vous dire que nous avons "
                "bien reçu votre réclamation.\n"
                "- Nous vous donnerons une réponse complète **sous 20 jours ouvrés**.\n"
                "- Faire une réclamation n’aura jamais d’effet sur l’accompagnement que vous "
                "recevez."
            ),
            "content_note": "",
        },
        "ar": {
            "title": "تقديم شكوى",
            "body_md": (
                "يمكنك تقديم شكوى بأي لغة، كتابةً أو بالهاتف أو حضوريًا. ويمكن لشخص آخر أن "
                "يقدّمها نيابةً عنك إذا فضّلت ذلك.\n\n"
                "- سنردّ عليك **خلال 5 أيام عمل** لنؤكد أن شكواك وصلتنا.\n"
                "- سنعطيك ردًّا كاملًا **خلال 20 يوم عمل**.\n"
                "- تقديم الشكوى لن يؤثر أبدًا في الدعم المقدَّم لك."
            ),
            "content_note": "",
        },
    },
    {
        "en": {
            "title": "Your information",
            "body_md": (
                "We keep notes about the support we give you. You can ask to see them at "
                "any time, and we will show you within one month.\n\n"
                "We only share your information with your permission, except to keep "
                "someone safe (see the section called *Keeping you safe*)."
            ),
            "content_note": "",
        },
        "es": {
            "title": "Su información",
            "body_md": (
                "Tomamos notas sobre el apoyo que le damos. Puede pedir verlas en cualquier "
                "momento y se las mostraremos en un plazo de un mes.\n\n"
                "Solo compartimos su información con su permiso, salvo para proteger a alguien "
                "(vea la sección llamada *Su seguridad*)."
            ),
            "content_note": "",
        },
        "fr": {
            "title": "Vos informations",
            "body_md": (
                "Nous prenons des notes sur l’accompagnement que nous vous apportons. Vous pouvez "
                "demander à les voir à tout moment, et nous vous les montrerons dans un délai "
                "d’un mois.\n\n"
                "Nous partageons vos informations seulement avec votre accord, sauf pour protéger "
                "quelqu’un (voir la partie *Votre sécurité*)."
            ),
            "content_note": "",
        },
        "ar": {
            "title": "معلوماتك",
            "body_md": (
                "نكتب ملاحظات عن الدعم الذي نقدّمه لك. يمكنك طلب الاطلاع عليها في أي وقت، "
                "وسنعرضها عليك خلال شهر واحد.\n\n"
                "لا نشارك معلوماتك إلا بإذنك، ما عدا الحالات التي نحتاج فيها إلى حماية سلامة أحد "
                "(يمكنك مراجعة القسم بعنوان *الحفاظ على سلامتك*)."
            ),
            "content_note": "",
        },
    },
]


def build_demo_round(now: datetime | None = None) -> NewRound:
    """The demo round's content, open now and for eight weeks."""
    now = now or datetime.now(UTC)
    locales = [loc for loc in LOCALES if loc in ROUND]
    return NewRound(
        slug=DEMO_SLUG,
        status="open",
        default_locale="en",
        locales=locales,
        timezone="Europe/London",
        region="GB",  # a UK round: 23 February 2027, 08:09
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(weeks=8),
        response_due=(now + timedelta(weeks=12)).date() if now else date.today(),
        minutes_estimate=10,
        texts={loc: RoundText(locale=loc, **ROUND[loc]) for loc in locales},
        contacts={loc: CONTACTS[loc] for loc in locales},
        sections=[
            NewSection(
                texts={loc: SectionText(locale=loc, **section[loc]) for loc in locales},
                questions=[
                    NewQuestion(
                        "agreement",
                        {loc: QuestionText(loc, *AGREE[loc]) for loc in locales},
                    ),
                    NewQuestion(
                        "open_text",
                        {loc: QuestionText(loc, *CHANGE[loc]) for loc in locales},
                    ),
                ],
            )
            for section in SECTIONS
        ],
    )


async def ensure_demo_round(db: Database) -> bool:
    """Create the demo round unless it exists. Returns True when it was created."""
    if await round_store.round_exists(db, DEMO_SLUG):
        return False
    await round_store.create_round(db, build_demo_round())
    return True
