"""Names, institutions and study descriptions in each character set fabrication writes
(PS3.5 Annex H-K examples where there are some), by case: what a patient, a physician or a
department of that country is called, in its own script."""

from __future__ import annotations

# case -> Specific Character Set (0008,0005): a list where code extensions are announced
CHARSETS: dict[str, str | list[str]] = {
    "latin1": "ISO_IR 100",
    "utf8": "ISO_IR 192",
    "japanese": ["", "ISO 2022 IR 87"],  # first value empty: ISO-IR 6, then JIS X 0208
    "korean": ["", "ISO 2022 IR 149"],  # KS X 1001
    "chinese": "GB18030",
    "cyrillic": "ISO_IR 144",
    "greek": "ISO_IR 126",
    "arabic": "ISO_IR 127",
    "hebrew": "ISO_IR 138",
}

# case -> [(patient name, institution)]: the names of the patients and of who else is named
NAMES: dict[str, list[tuple[str, str]]] = {
    "latin1": [
        ("GARCÍA LÓPEZ^JOSÉ MARÍA", "Hôpital Saint-Éloi"),
        ("MÜLLER-LÜDENSCHEIDT^RENÉ", "Universitätsklinikum Süd"),
        ("ØSTERGÅRD^SØREN", "Rigshospitalet Øst"),
        ("NÚÑEZ^ÍÑIGO", "Clínica Señora del Mar"),
    ],
    "utf8": [
        ("Παπαδόπουλος^Γιώργος", "Γενικό Νοσοκομείο Αθηνών"),
        ("Иванова^Анна", "Городская больница № 1"),
        ("王^小明", "北京协和医院"),
        ("김^민준", "서울대학교병원"),
        ("כהן^דוד", "בית חולים הדסה"),
        ("عبد الله^محمد", "مستشفى الملك فهد"),
    ],
    "japanese": [
        ("Yamada^Tarou=山田^太郎=やまだ^たろう", "山田病院"),
        ("Suzuki^Hanako=鈴木^花子=すずき^はなこ", "鈴木医院"),
        ("Tanaka^Ichirou=田中^一郎=たなか^いちろう", "田中クリニック"),
    ],
    "korean": [
        ("Hong^Gildong=洪^吉洞=홍^길동", "서울대학교병원"),
        ("Kim^Minjun=金^敏俊=김^민준", "부산병원"),
        ("Lee^Seoyeon=李^瑞娟=이^서연", "대구의료원"),
    ],
    "chinese": [
        ("Wang^XiaoDong=王^小东=", "北京协和医院"),
        ("Li^Hua=李^华=", "上海瑞金医院"),
        ("Zhang^Wei=张^伟=", "广州中山医院"),
    ],
    "cyrillic": [
        ("Иванов^Иван", "Городская больница №1"),
        ("Петрова^Мария", "Областная клиническая больница"),
        ("Смирнов^Алексей", "Научный центр здоровья детей"),
    ],
    "greek": [
        ("Παπαδημητρίου^Διονύσιος", "Γενικό Νοσοκομείο Αθηνών"),
        ("Παπαδόπουλος^Γιώργος", "Νοσοκομείο Θεσσαλονίκης"),
        ("Οικονόμου^Ελένη", "Πανεπιστημιακό Νοσοκομείο Πατρών"),
    ],
    "arabic": [
        ("قباني^لنزار", "مستشفى الملك فهد"),
        ("عبد الله^محمد", "مستشفى القاهرة الجامعي"),
        ("حداد^ليلى", "المستشفى الوطني"),
    ],
    "hebrew": [
        ("שרון^דבורה", "בית חולים הדסה"),
        ("כהן^דוד", "המרכז הרפואי שיבא"),
        ("לוי^מיכל", 'בית חולים רמב"ם'),
    ],
}

# case -> a study description in the language (the protocol's English one elsewhere)
DESCRIPTIONS: dict[str, str] = {
    "latin1": "Tomodensitométrie thoracique",
    "utf8": "Обследование / 检查 / 검사",
    "japanese": "胸部ＣＴ検査",
    "korean": "흉부 CT 검사",
    "chinese": "胸部CT检查",
    "cyrillic": "КТ грудной клетки",
    "greek": "Αξονική τομογραφία θώρακος",
    "arabic": "تصوير مقطعي للصدر",
    "hebrew": "טומוגרפיה של החזה",
}
