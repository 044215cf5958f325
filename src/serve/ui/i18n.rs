//! The interface languages: English and Norwegian bokmål. Every UI string is
//! looked up by key in [`STRINGS`]; a unit test checks that each key a
//! template uses has both translations.

use axum::http::{header, HeaderMap};

/// An interface language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    Nb,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Nb];

    /// The BCP 47 tag (the `lang` attribute, the `?lang=` value).
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Nb => "nb",
        }
    }

    /// The language's own name, for the switch.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Nb => "Norsk (bokmål)",
        }
    }

    /// A tag as written in `?lang=`, a cookie or Accept-Language: Norwegian in
    /// any form (nb, no, nn, nb-NO) is bokmål here; English in any region.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag
            .trim()
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "nb" | "no" | "nn" => Some(Lang::Nb),
            _ => None,
        }
    }

    /// The best supported language of an Accept-Language header (q-values honoured).
    pub fn from_accept_language(value: &str) -> Option<Lang> {
        let mut ranges: Vec<(f32, usize, &str)> = value
            .split(',')
            .enumerate()
            .filter_map(|(i, part)| {
                let mut pieces = part.split(';');
                let tag = pieces.next()?.trim();
                let q = pieces
                    .filter_map(|p| p.trim().strip_prefix("q="))
                    .find_map(|q| q.trim().parse::<f32>().ok())
                    .unwrap_or(1.0);
                (q > 0.0 && !tag.is_empty()).then_some((q, i, tag))
            })
            .collect();
        ranges.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        ranges
            .into_iter()
            .find_map(|(_, _, tag)| Lang::from_tag(tag))
    }

    /// The language of a request: `?lang=` first, then the `lang` cookie
    /// (set by the switch), then Accept-Language, else English.
    pub fn choose(query_lang: Option<&str>, headers: &HeaderMap) -> Lang {
        if let Some(lang) = query_lang.and_then(Lang::from_tag) {
            return lang;
        }
        if let Some(lang) = cookie(headers, "lang").and_then(|v| Lang::from_tag(&v)) {
            return lang;
        }
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(Lang::from_accept_language)
            .unwrap_or(Lang::En)
    }

    /// The UI string of a key, if there is one.
    pub fn lookup(self, key: &str) -> Option<&'static str> {
        STRINGS
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, en, nb)| match self {
                Lang::En => *en,
                Lang::Nb => *nb,
            })
    }

    /// The UI string of a key, or nothing (logged) when it has none; a
    /// test keeps that from happening for the templates' keys.
    pub fn text(self, key: &str) -> &'static str {
        self.lookup(key).unwrap_or_else(|| {
            tracing::warn!(key, "UI string without a translation");
            ""
        })
    }
}

/// A cookie's value from the request.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_string())
}

/// (key, English, Norwegian bokmål).
pub static STRINGS: &[(&str, &str, &str)] = &[
    ("site.name", "katalog", "katalog"),
    (
        "site.tagline",
        "Health and genomic datasets from the Nordic and European catalogues",
        "Helse- og genomdatasett fra nordiske og europeiske kataloger",
    ),
    ("nav.search", "Search", "Søk"),
    ("nav.validate", "Validate", "Valider"),
    ("nav.sources", "Sources", "Kilder"),
    ("nav.catalog", "DCAT-AP export", "DCAT-AP-eksport"),
    ("nav.sparql", "SPARQL", "SPARQL"),
    ("nav.api", "API", "API"),
    ("nav.main", "Main menu", "Hovedmeny"),
    ("nav.language", "Language", "Språk"),
    ("skip", "Skip to main content", "Hopp til hovedinnholdet"),
    (
        "footer.about",
        "katalog is a FAIR catalogue of health and genomic datasets (DCAT-AP, HealthDCAT-AP).",
        "katalog er en FAIR-katalog over helse- og genomdatasett (DCAT-AP, HealthDCAT-AP).",
    ),
    ("footer.data", "Open metadata:", "Åpne metadata:"),
    // Search page
    ("search.title", "Search datasets", "Søk i datasett"),
    ("search.label", "Search words", "Søkeord"),
    (
        "search.placeholder",
        "e.g. cancer, diabetes, E11, register",
        "f.eks. kreft, diabetes, E11, register",
    ),
    ("search.submit", "Search", "Søk"),
    ("search.filters", "Filters", "Filtre"),
    ("search.apply", "Apply filters", "Bruk filtrene"),
    (
        "search.auto_hint",
        "Ticking a box updates the results at once.",
        "Når du krysser av, oppdateres treffene med en gang.",
    ),
    ("search.clear", "Clear all", "Fjern alle"),
    ("search.active", "Active filters", "Aktive filtre"),
    ("search.remove", "Remove filter", "Fjern filteret"),
    ("search.results", "Results", "Treff"),
    ("search.total_one", "1 dataset", "1 datasett"),
    ("search.total_many", "datasets", "datasett"),
    ("search.none", "No datasets match this search.", "Ingen datasett passer til søket."),
    (
        "search.fuzzy",
        "Nothing matched exactly; showing results with similar spelling.",
        "Ingen eksakte treff; viser treff med lignende stavemåte.",
    ),
    ("search.sort", "Sort by", "Sorter etter"),
    ("sort.relevance", "Relevance", "Relevans"),
    ("sort.modified", "Last modified", "Sist endret"),
    ("sort.title", "Title", "Tittel"),
    ("search.size", "Per page", "Per side"),
    ("search.error", "The search could not be run", "Søket kunne ikke utføres"),
    ("search.took", "ms", "ms"),
    ("search.no_title", "(no title)", "(uten tittel)"),
    ("page.label", "Pages", "Sider"),
    ("page.previous", "Previous", "Forrige"),
    ("page.next", "Next", "Neste"),
    ("page.current", "Page", "Side"),
    ("page.of", "of", "av"),
    ("facet.country", "Country", "Land"),
    ("facet.disease", "Disease", "Sykdom"),
    ("facet.disease_chapter", "Disease chapter (ICD-10)", "Sykdomskapittel (ICD-10)"),
    ("facet.health_category", "Health category", "Helsekategori"),
    ("facet.health_theme", "Health theme", "Helsetema"),
    ("facet.theme", "Theme", "Tema"),
    ("facet.access", "Access rights", "Tilgangsrettigheter"),
    ("facet.publisher", "Publisher", "Utgiver"),
    ("facet.format", "Format", "Format"),
    ("facet.licence", "Licence", "Lisens"),
    ("facet.profile", "Profile", "Profil"),
    ("filter.disease", "Disease (ICD-10 or ORPHA code)", "Sykdom (ICD-10- eller ORPHA-kode)"),
    ("filter.disease_hint", "e.g. E11, C50, E10-E14, ORPHA:558", "f.eks. E11, C50, E10-E14, ORPHA:558"),
    ("filter.age", "Age range (years)", "Aldersspenn (år)"),
    ("filter.age_from", "From age", "Fra alder"),
    ("filter.age_to", "To age", "Til alder"),
    ("filter.cohort", "Cohort size", "Kohortstørrelse"),
    ("filter.min_individuals", "At least this many individuals", "Minst så mange individer"),
    ("filter.min_records", "At least this many records", "Minst så mange oppføringer"),
    ("filter.age_from_value", "age from", "alder fra"),
    ("filter.age_to_value", "age to", "alder til"),
    ("filter.min_individuals_value", "individuals ≥", "individer ≥"),
    ("filter.min_records_value", "records ≥", "oppføringer ≥"),
    ("filter.disease_value", "disease", "sykdom"),
    ("filter.q_value", "words", "ord"),
    ("filter.modified_after_value", "modified after", "endret etter"),
    ("filter.temporal_from_value", "covers from", "dekker fra"),
    ("filter.temporal_to_value", "covers to", "dekker til"),
    ("filter.profile_value", "profile", "profil"),
    ("hit.publisher", "Publisher", "Utgiver"),
    ("hit.country", "Country", "Land"),
    ("hit.access", "Access", "Tilgang"),
    ("hit.diseases", "Diseases", "Sykdommer"),
    ("hit.ages", "Ages", "Alder"),
    ("hit.individuals", "Individuals", "Individer"),
    ("hit.records", "Records", "Oppføringer"),
    ("hit.modified", "Modified", "Endret"),
    ("hit.period", "Period", "Periode"),
    ("hit.health_themes", "Health themes", "Helsetemaer"),
    ("hit.years", "years", "år"),
    ("kind.dataset", "Dataset", "Datasett"),
    ("kind.series", "Dataset series", "Datasettserie"),
    ("kind.service", "Data service", "Datatjeneste"),
    ("kind.catalog", "Catalogue", "Katalog"),
    // Dataset page
    ("dataset.overview", "Overview", "Oversikt"),
    ("dataset.properties", "All properties", "Alle egenskaper"),
    ("dataset.distributions", "Distributions and access", "Distribusjoner og tilgang"),
    ("dataset.no_distributions", "No distributions are described.", "Ingen distribusjoner er beskrevet."),
    ("dataset.distribution", "Distribution", "Distribusjon"),
    ("dataset.contact", "Contact", "Kontakt"),
    ("dataset.no_contact", "No contact point is given.", "Ingen kontaktpunkt er oppgitt."),
    ("dataset.provenance", "Provenance", "Opphav"),
    ("dataset.source", "Harvested from", "Høstet fra"),
    ("dataset.country", "Country", "Land"),
    ("dataset.first_harvest", "First harvested", "Først høstet"),
    ("dataset.last_change", "Last changed", "Sist endret"),
    ("dataset.last_harvest", "Last harvest of the source", "Siste høsting av kilden"),
    ("dataset.identifier", "Record", "Post"),
    ("dataset.validation", "Validation and quality", "Validering og kvalitet"),
    ("dataset.profile", "Profile", "Profil"),
    (
        "dataset.conforms",
        "Conforms: the record has no violations of its source's profile.",
        "Gyldig: posten har ingen brudd på kildens profil.",
    ),
    (
        "dataset.ungated",
        "Not validated at harvest: its source has no validation profile.",
        "Ikke validert ved høsting: kilden har ingen valideringsprofil.",
    ),
    (
        "dataset.stale",
        "Stale: a newer version from the source violated the profile and is held back; this is the last valid version.",
        "Utdatert: en nyere versjon fra kilden brøt profilen og holdes tilbake; dette er siste gyldige versjon.",
    ),
    (
        "dataset.warnings",
        "Recommended properties that are missing lower the quality score.",
        "Anbefalte egenskaper som mangler, gir lavere kvalitetspoeng.",
    ),
    ("dataset.quality", "Metadata quality", "Metadatakvalitet"),
    ("dataset.no_quality", "No quality score was computed.", "Ingen kvalitetspoeng er beregnet."),
    ("quality.overallScore", "Overall", "Samlet"),
    ("quality.findabilityScore", "Findability", "Finnbarhet"),
    ("quality.accessibilityScore", "Accessibility", "Tilgjengelighet"),
    ("quality.interoperabilityScore", "Interoperability", "Samhandling"),
    ("quality.reusabilityScore", "Reusability", "Gjenbrukbarhet"),
    ("quality.contextualityScore", "Contextuality", "Kontekst"),
    ("quality.healthScore", "Health context", "Helsekontekst"),
    ("dataset.rdf", "Metadata in RDF", "Metadata i RDF"),
    ("dataset.api", "JSON (search API)", "JSON (søke-API)"),
    (
        "dataset.deleted",
        "This record was deleted at its source on",
        "Denne posten ble slettet hos kilden",
    ),
    ("dataset.back", "Back to search", "Tilbake til søket"),
    ("dataset.resource", "Identifier (IRI)", "Identifikator (IRI)"),
    ("dataset.more", "more", "flere"),
    ("dataset.other_languages", "In other languages", "På andre språk"),
    // Validation page
    ("validate.title", "Validate metadata", "Valider metadata"),
    (
        "validate.intro",
        "Paste an RDF document or upload a file, pick a profile, and read what must be fixed before katalog publishes the records.",
        "Lim inn et RDF-dokument eller last opp en fil, velg en profil, og se hva som må rettes før katalog publiserer postene.",
    ),
    ("validate.document", "RDF document", "RDF-dokument"),
    ("validate.file", "…or upload a file", "…eller last opp en fil"),
    ("validate.syntax", "Syntax", "Syntaks"),
    ("validate.syntax_auto", "Detect", "Finn automatisk"),
    ("validate.profile", "Profile", "Profil"),
    ("validate.submit", "Validate", "Valider"),
    ("validate.report", "Report", "Rapport"),
    ("validate.conforms", "Conforms", "Gyldig"),
    ("validate.not_conforms", "Does not conform", "Ikke gyldig"),
    ("validate.records", "records checked", "poster sjekket"),
    ("validate.records_one", "record checked", "post sjekket"),
    ("validate.violations_one", "violation", "brudd"),
    ("validate.warnings_one", "warning", "advarsel"),
    ("validate.clean", "without remarks", "uten merknader"),
    ("validate.violations", "violations", "brudd"),
    ("validate.warnings", "warnings", "advarsler"),
    ("validate.text", "Plain-text report", "Rapport som ren tekst"),
    ("validate.error", "The document could not be validated", "Dokumentet kunne ikke valideres"),
    ("validate.empty", "Paste a document or choose a file.", "Lim inn et dokument eller velg en fil."),
    ("validate.limit", "At most", "Høyst"),
    ("validate.bytes", "bytes", "byte"),
    ("severity.Violation", "Violation", "Brudd"),
    ("severity.Warning", "Warning", "Advarsel"),
    ("severity.Info", "Info", "Info"),
    ("validate.more", "more on", "flere på"),
    ("validate.failure", "Failure", "Feil"),
    // Errors
    ("error.title", "Something went wrong", "Noe gikk galt"),
    ("error.not_found", "Page not found", "Fant ikke siden"),
    (
        "error.no_search",
        "Search is not available on this server.",
        "Søk er ikke tilgjengelig på denne serveren.",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn accept_language_and_tags() {
        assert_eq!(
            Lang::from_accept_language("nb-NO,nb;q=0.9,en;q=0.8"),
            Some(Lang::Nb)
        );
        assert_eq!(
            Lang::from_accept_language("de, en;q=0.5, nn;q=0.7"),
            Some(Lang::Nb)
        );
        assert_eq!(Lang::from_accept_language("en-GB"), Some(Lang::En));
        assert_eq!(Lang::from_accept_language("nb;q=0, fr"), None);
        assert_eq!(Lang::from_tag("no"), Some(Lang::Nb));
        assert_eq!(Lang::from_tag("sv"), None);
    }

    #[test]
    fn query_beats_cookie_beats_accept_language() {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static("nb"));
        assert_eq!(Lang::choose(None, &headers), Lang::Nb);
        headers.insert(header::COOKIE, HeaderValue::from_static("x=1; lang=en"));
        assert_eq!(Lang::choose(None, &headers), Lang::En);
        assert_eq!(Lang::choose(Some("nb"), &headers), Lang::Nb);
        assert_eq!(Lang::choose(Some("zz"), &HeaderMap::new()), Lang::En);
    }

    #[test]
    fn keys_are_unique_and_translated() {
        let mut seen = std::collections::HashSet::new();
        for (key, en, nb) in STRINGS {
            assert!(seen.insert(key), "{key} twice");
            assert!(!en.is_empty() && !nb.is_empty(), "{key}");
        }
    }
}
