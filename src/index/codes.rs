//! Disease codes (ICD-10, Orphanet) and country codes, normalised from the
//! many ways catalogues write them.

/// A disease code in one of the classifications search understands.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DiseaseCode {
    /// An ICD-10 category or subcategory, upper-case with its dot: `E11`, `E11.9`.
    Icd10(String),
    /// An ICD-10 block such as `E10-E14`.
    Icd10Block(String),
    /// An ICD-10 chapter by its roman numeral: `IV`.
    Icd10Chapter(String),
    /// An Orphanet disorder number: `558`.
    Orpha(String),
}

const ICD10_IRI: &str = "http://id.who.int/icd/release/10/";
const ORPHA_IRI: &str = "http://www.orpha.net/ORDO/Orphanet_";

/// The ICD-10 (WHO 2019) chapters: numeral, first and last category, English title.
pub const ICD10_CHAPTERS: [(&str, &str, &str, &str); 22] = [
    ("I", "A00", "B99", "Certain infectious and parasitic diseases"),
    ("II", "C00", "D48", "Neoplasms"),
    ("III", "D50", "D89", "Diseases of the blood and blood-forming organs and certain disorders involving the immune mechanism"),
    ("IV", "E00", "E90", "Endocrine, nutritional and metabolic diseases"),
    ("V", "F00", "F99", "Mental and behavioural disorders"),
    ("VI", "G00", "G99", "Diseases of the nervous system"),
    ("VII", "H00", "H59", "Diseases of the eye and adnexa"),
    ("VIII", "H60", "H95", "Diseases of the ear and mastoid process"),
    ("IX", "I00", "I99", "Diseases of the circulatory system"),
    ("X", "J00", "J99", "Diseases of the respiratory system"),
    ("XI", "K00", "K93", "Diseases of the digestive system"),
    ("XII", "L00", "L99", "Diseases of the skin and subcutaneous tissue"),
    ("XIII", "M00", "M99", "Diseases of the musculoskeletal system and connective tissue"),
    ("XIV", "N00", "N99", "Diseases of the genitourinary system"),
    ("XV", "O00", "O99", "Pregnancy, childbirth and the puerperium"),
    ("XVI", "P00", "P96", "Certain conditions originating in the perinatal period"),
    ("XVII", "Q00", "Q99", "Congenital malformations, deformations and chromosomal abnormalities"),
    ("XVIII", "R00", "R99", "Symptoms, signs and abnormal clinical and laboratory findings, not elsewhere classified"),
    ("XIX", "S00", "T98", "Injury, poisoning and certain other consequences of external causes"),
    ("XX", "V01", "Y98", "External causes of morbidity and mortality"),
    ("XXI", "Z00", "Z99", "Factors influencing health status and contact with health services"),
    ("XXII", "U00", "U99", "Codes for special purposes"),
];

fn is_icd10_code(code: &str) -> bool {
    let bytes = code.as_bytes();
    if bytes.len() < 3 || !bytes[0].is_ascii_uppercase() {
        return false;
    }
    if !bytes[1].is_ascii_digit() || !(bytes[2].is_ascii_digit()) {
        return false;
    }
    match &code[3..] {
        "" => true,
        rest => {
            rest.len() >= 2
                && rest.len() <= 5
                && rest.starts_with('.')
                && rest[1..].bytes().all(|b| b.is_ascii_alphanumeric())
        }
    }
}

fn is_icd10_block(code: &str) -> bool {
    match code.split_once('-') {
        Some((a, b)) => a.len() == 3 && b.len() == 3 && is_icd10_code(a) && is_icd10_code(b),
        None => false,
    }
}

fn is_chapter(code: &str) -> bool {
    ICD10_CHAPTERS.iter().any(|c| c.0 == code)
}

impl DiseaseCode {
    /// A code from an IRI: WHO ICD-10 (http or https, with or without a
    /// release year), BioPortal ICD10, `urn:icd10:`, Orphanet ORDO and
    /// identifiers.org.
    pub fn from_iri(iri: &str) -> Option<Self> {
        let rest = iri
            .strip_prefix("http://")
            .or_else(|| iri.strip_prefix("https://"))
            .unwrap_or(iri);
        if let Some(path) = rest.strip_prefix("id.who.int/icd/release/10/") {
            let code = match path.split_once('/') {
                Some((year, code))
                    if year.len() == 4 && year.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    code
                }
                _ => path,
            };
            return Self::from_icd10(code);
        }
        for prefix in [
            "purl.bioontology.org/ontology/ICD10/",
            "purl.bioontology.org/ontology/ICD10CM/",
            "identifiers.org/icd10/",
            "identifiers.org/icd:",
        ] {
            if let Some(code) = rest.strip_prefix(prefix) {
                return Self::from_icd10(code);
            }
        }
        let lower = iri.to_ascii_lowercase();
        for prefix in ["urn:icd10:", "urn:icd-10:", "urn:who:icd10:", "urn:icd:10:"] {
            if lower.starts_with(prefix) {
                return Self::from_icd10(&iri[prefix.len()..]);
            }
        }
        for prefix in [
            "www.orpha.net/ORDO/Orphanet_",
            "orpha.net/ORDO/Orphanet_",
            "identifiers.org/orphanet.ordo/Orphanet_",
            "identifiers.org/orphanet:",
            "www.orpha.net/consor/cgi-bin/OC_Exp.php?lng=en&Expert=",
        ] {
            if let Some(number) = rest.strip_prefix(prefix) {
                return Self::from_orpha_number(number);
            }
        }
        None
    }

    fn from_icd10(code: &str) -> Option<Self> {
        let code = code.trim().to_ascii_uppercase();
        // Codes are ASCII; checking first keeps the byte slicing below on char boundaries.
        if !code.is_ascii() || code.len() > 12 {
            return None;
        }
        if is_icd10_code(&code) {
            return Some(DiseaseCode::Icd10(code));
        }
        // "E119": a subcategory written without its dot.
        if code.len() == 4 && is_icd10_code(&code[..3]) && code.as_bytes()[3].is_ascii_digit() {
            return Some(DiseaseCode::Icd10(format!("{}.{}", &code[..3], &code[3..])));
        }
        if is_icd10_block(&code) {
            return Some(DiseaseCode::Icd10Block(code));
        }
        if is_chapter(&code) {
            return Some(DiseaseCode::Icd10Chapter(code));
        }
        None
    }

    fn from_orpha_number(number: &str) -> Option<Self> {
        let number = number.trim();
        (!number.is_empty() && number.len() <= 9 && number.bytes().all(|b| b.is_ascii_digit()))
            .then(|| DiseaseCode::Orpha(number.trim_start_matches('0').to_string()))
            .filter(|n| !matches!(n, DiseaseCode::Orpha(s) if s.is_empty()))
    }

    /// A code from a literal: `E11.9`, `E119`, `ICD-10:E11`, `ORPHA:558`,
    /// `Orphanet_558`. Chapters and blocks only with `chapters` (a literal
    /// "IV" in data is more likely something else).
    pub fn from_literal(text: &str, chapters: bool) -> Option<Self> {
        let text = text.trim();
        if text.len() > 60 {
            return None;
        }
        if text.contains("://") || text.starts_with("urn:") {
            return Self::from_iri(text);
        }
        let upper = text.to_ascii_uppercase();
        for prefix in ["ORPHANET:", "ORPHANET_", "ORPHANET ", "ORPHA:", "ORPHA"] {
            if let Some(number) = upper.strip_prefix(prefix) {
                return Self::from_orpha_number(number);
            }
        }
        let code = [
            "ICD-10:", "ICD10:", "ICD-10 ", "ICD10 ", "ICD-10-", "ICD10-",
        ]
        .iter()
        .find_map(|p| upper.strip_prefix(p))
        .unwrap_or(&upper);
        match Self::from_icd10(code)? {
            DiseaseCode::Icd10Block(_) | DiseaseCode::Icd10Chapter(_) if !chapters => None,
            code => Some(code),
        }
    }

    /// The key the index stores: `icd10:E11.9`, `orpha:558`.
    pub fn key(&self) -> String {
        match self {
            DiseaseCode::Icd10(c) | DiseaseCode::Icd10Block(c) | DiseaseCode::Icd10Chapter(c) => {
                format!("icd10:{c}")
            }
            DiseaseCode::Orpha(n) => format!("orpha:{n}"),
        }
    }

    /// How people write it: `E11.9`, `ORPHA:558`.
    pub fn display(&self) -> String {
        match self {
            DiseaseCode::Icd10(c) | DiseaseCode::Icd10Block(c) | DiseaseCode::Icd10Chapter(c) => {
                c.clone()
            }
            DiseaseCode::Orpha(n) => format!("ORPHA:{n}"),
        }
    }

    /// The canonical IRI, as the disease vocabularies in `vocab/` name it.
    pub fn iri(&self) -> String {
        match self {
            DiseaseCode::Icd10(c) | DiseaseCode::Icd10Block(c) | DiseaseCode::Icd10Chapter(c) => {
                format!("{ICD10_IRI}{c}")
            }
            DiseaseCode::Orpha(n) => format!("{ORPHA_IRI}{n}"),
        }
    }

    /// The code one level up when the vocabulary does not know this one:
    /// `E11.91` -> `E11.9` -> `E11`.
    pub fn truncated(&self) -> Option<DiseaseCode> {
        match self {
            DiseaseCode::Icd10(c) if c.len() > 5 => c
                .get(..c.len() - 1)
                .map(|p| DiseaseCode::Icd10(p.to_string())),
            DiseaseCode::Icd10(c) if c.len() > 3 => {
                c.get(..3).map(|p| DiseaseCode::Icd10(p.to_string()))
            }
            _ => None,
        }
    }

    /// The ICD-10 chapter an ICD-10 code falls in (a fixed table: chapters
    /// never change within ICD-10).
    pub fn chapter(&self) -> Option<&'static str> {
        let code = match self {
            DiseaseCode::Icd10(c) | DiseaseCode::Icd10Block(c) => c.get(..3)?,
            DiseaseCode::Icd10Chapter(c) => {
                return ICD10_CHAPTERS.iter().find(|ch| ch.0 == c).map(|ch| ch.0)
            }
            DiseaseCode::Orpha(_) => return None,
        };
        ICD10_CHAPTERS
            .iter()
            .find(|(_, first, last, _)| code >= *first && code <= *last)
            .map(|ch| ch.0)
    }
}

/// English title of an ICD-10 chapter, for when the vocabulary has none.
pub fn chapter_title(numeral: &str) -> Option<&'static str> {
    ICD10_CHAPTERS.iter().find(|c| c.0 == numeral).map(|c| c.3)
}

/// IRI of an ICD-10 chapter.
pub fn chapter_iri(numeral: &str) -> String {
    format!("{ICD10_IRI}{numeral}")
}

/// ISO 3166-1 alpha-2 and the alpha-3 code the EU country authority table uses.
const COUNTRIES: [(&str, &str); 52] = [
    ("AT", "AUT"),
    ("BE", "BEL"),
    ("BG", "BGR"),
    ("HR", "HRV"),
    ("CY", "CYP"),
    ("CZ", "CZE"),
    ("DK", "DNK"),
    ("EE", "EST"),
    ("FI", "FIN"),
    ("FR", "FRA"),
    ("DE", "DEU"),
    ("GR", "GRC"),
    ("HU", "HUN"),
    ("IE", "IRL"),
    ("IT", "ITA"),
    ("LV", "LVA"),
    ("LT", "LTU"),
    ("LU", "LUX"),
    ("MT", "MLT"),
    ("NL", "NLD"),
    ("PL", "POL"),
    ("PT", "PRT"),
    ("RO", "ROU"),
    ("SK", "SVK"),
    ("SI", "SVN"),
    ("ES", "ESP"),
    ("SE", "SWE"),
    ("NO", "NOR"),
    ("IS", "ISL"),
    ("LI", "LIE"),
    ("CH", "CHE"),
    ("GB", "GBR"),
    ("US", "USA"),
    ("CA", "CAN"),
    ("AU", "AUS"),
    ("NZ", "NZL"),
    ("JP", "JPN"),
    ("CN", "CHN"),
    ("IN", "IND"),
    ("BR", "BRA"),
    ("RS", "SRB"),
    ("UA", "UKR"),
    ("TR", "TUR"),
    ("IL", "ISR"),
    ("ZA", "ZAF"),
    ("AL", "ALB"),
    ("BA", "BIH"),
    ("ME", "MNE"),
    ("MK", "MKD"),
    ("MD", "MDA"),
    ("FO", "FRO"),
    ("GL", "GRL"),
];

pub const COUNTRY_IRI: &str = "http://publications.europa.eu/resource/authority/country/";

/// A country code as search keys it (alpha-2 when known, else alpha-3),
/// from `NO`, `nor`, or an EU authority / GeoNames-free IRI.
pub fn country_key(value: &str) -> Option<String> {
    let value = value.trim();
    let code = value
        .strip_prefix(COUNTRY_IRI)
        .or_else(|| {
            value.strip_prefix("https://publications.europa.eu/resource/authority/country/")
        })
        .unwrap_or(value);
    if code.contains('/') || code.contains(':') {
        return None;
    }
    let upper = code.to_ascii_uppercase();
    if !(2..=3).contains(&upper.len()) || !upper.bytes().all(|b| b.is_ascii_uppercase()) {
        return None;
    }
    if upper.len() == 2 {
        return Some(upper);
    }
    Some(
        COUNTRIES
            .iter()
            .find(|(_, a3)| *a3 == upper)
            .map_or(upper.clone(), |(a2, _)| a2.to_string()),
    )
}

/// The EU authority IRI of a country key, for its labels.
pub fn country_iri(key: &str) -> String {
    let alpha3 = COUNTRIES
        .iter()
        .find(|(a2, _)| *a2 == key)
        .map_or(key, |(_, a3)| a3);
    format!("{COUNTRY_IRI}{alpha3}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icd10_codes_are_read_from_iris_and_literals() {
        let e119 = Some(DiseaseCode::Icd10("E11.9".into()));
        for written in ["E11.9", "e11.9", "E119", "ICD-10:E11.9", " E11.9 "] {
            assert_eq!(DiseaseCode::from_literal(written, false), e119, "{written}");
        }
        let e11 = Some(DiseaseCode::Icd10("E11".into()));
        for iri in [
            "http://id.who.int/icd/release/10/E11",
            "https://id.who.int/icd/release/10/E11",
            "http://id.who.int/icd/release/10/2019/E11",
            "http://purl.bioontology.org/ontology/ICD10/E11",
            "urn:icd10:E11",
        ] {
            assert_eq!(DiseaseCode::from_iri(iri), e11, "{iri}");
        }
        assert_eq!(DiseaseCode::from_literal("A10BA02", false), None);
        assert_eq!(DiseaseCode::from_literal("IV", false), None);
        assert_eq!(
            DiseaseCode::from_literal("iv", true),
            Some(DiseaseCode::Icd10Chapter("IV".into()))
        );
        assert_eq!(
            DiseaseCode::from_literal("E10-E14", true),
            Some(DiseaseCode::Icd10Block("E10-E14".into()))
        );
        assert_eq!(DiseaseCode::from_literal("", true), None);
        assert_eq!(DiseaseCode::from_literal("E", true), None);
        assert_eq!(DiseaseCode::from_literal("ÆØÅ.é", true), None);
        for odd in [
            "🙂",
            "E1🙂",
            "🙂🙂🙂🙂",
            "E11.🙂",
            "ORPHA:🙂",
            "Ø",
            "E1Ø",
            "E11Ø",
            "é-é",
            "EØ1-E14",
        ] {
            assert_eq!(DiseaseCode::from_literal(odd, true), None, "{odd}");
            assert_eq!(
                DiseaseCode::from_iri(&format!("http://id.who.int/icd/release/10/{odd}")),
                None
            );
        }
    }

    #[test]
    fn orphanet_codes_are_read_from_iris_and_literals() {
        let cf = Some(DiseaseCode::Orpha("586".into()));
        for written in ["ORPHA:586", "orpha:586", "Orphanet_586", "ORPHA586"] {
            assert_eq!(DiseaseCode::from_literal(written, false), cf, "{written}");
        }
        assert_eq!(
            DiseaseCode::from_iri("http://www.orpha.net/ORDO/Orphanet_586"),
            cf
        );
        assert_eq!(
            DiseaseCode::from_iri("https://www.orpha.net/ORDO/Orphanet_586"),
            cf
        );
        assert_eq!(DiseaseCode::from_literal("ORPHA:", false), None);
        assert_eq!(DiseaseCode::from_literal("ORPHA:0", false), None);
    }

    #[test]
    fn codes_truncate_and_find_their_chapter() {
        let code = DiseaseCode::Icd10("E11.91".into());
        assert_eq!(code.truncated(), Some(DiseaseCode::Icd10("E11.9".into())));
        assert_eq!(
            code.truncated().and_then(|c| c.truncated()),
            Some(DiseaseCode::Icd10("E11".into()))
        );
        assert_eq!(code.chapter(), Some("IV"));
        assert_eq!(DiseaseCode::Icd10("C50".into()).chapter(), Some("II"));
        assert_eq!(DiseaseCode::Icd10("D05".into()).chapter(), Some("II"));
        assert_eq!(DiseaseCode::Icd10("D60".into()).chapter(), Some("III"));
        assert_eq!(DiseaseCode::Icd10("U07.1".into()).chapter(), Some("XXII"));
        assert_eq!(DiseaseCode::Icd10("T14".into()).chapter(), Some("XIX"));
    }

    #[test]
    fn countries_key_on_alpha2() {
        assert_eq!(country_key("no").as_deref(), Some("NO"));
        assert_eq!(country_key("NOR").as_deref(), Some("NO"));
        assert_eq!(
            country_key("http://publications.europa.eu/resource/authority/country/SWE").as_deref(),
            Some("SE")
        );
        assert_eq!(country_key("N0"), None);
        assert_eq!(country_key("https://example.org/x"), None);
        assert!(country_iri("NO").ends_with("/NOR"));
    }
}
