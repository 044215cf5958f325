//! Readable names of the properties and classes records use, in English
//! and Norwegian bokmål; values that are concepts of `vocab/` get their
//! labels from the vocabulary instead.

use super::Lang;

const DCT: &str = "http://purl.org/dc/terms/";
const DCAT: &str = "http://www.w3.org/ns/dcat#";
const FOAF: &str = "http://xmlns.com/foaf/0.1/";
const VCARD: &str = "http://www.w3.org/2006/vcard/ns#";
const HEALTH: &str = "http://healthdataportal.eu/ns/health#";
const ADMS: &str = "http://www.w3.org/ns/adms#";
const CV: &str = "http://data.europa.eu/m8g/";
const DCATAP: &str = "http://data.europa.eu/r5r/";

/// (namespace, local name, English, Norwegian), in the order pages list them.
static PROPERTIES: &[(&str, &str, &str, &str)] = &[
    (DCT, "title", "Title", "Tittel"),
    (DCT, "description", "Description", "Beskrivelse"),
    (DCT, "identifier", "Identifier", "Identifikator"),
    (
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
        "type",
        "Type",
        "Type",
    ),
    (DCT, "publisher", "Publisher", "Utgiver"),
    (DCT, "creator", "Creator", "Skaper"),
    (DCAT, "keyword", "Keyword", "Nøkkelord"),
    (DCAT, "theme", "Theme", "Tema"),
    (HEALTH, "healthCategory", "Health category", "Helsekategori"),
    (HEALTH, "healthTheme", "Health theme", "Helsetema"),
    (HEALTH, "hasCodeValues", "Coded values", "Kodeverdier"),
    (HEALTH, "hasCodingSystem", "Coding system", "Kodeverk"),
    (DCT, "accessRights", "Access rights", "Tilgangsrettigheter"),
    (DCT, "license", "Licence", "Lisens"),
    (DCT, "rights", "Rights", "Rettigheter"),
    (DCT, "spatial", "Spatial coverage", "Geografisk dekning"),
    (DCT, "temporal", "Temporal coverage", "Tidsperiode"),
    (
        HEALTH,
        "populationCoverage",
        "Population coverage",
        "Populasjonsdekning",
    ),
    (
        HEALTH,
        "minTypicalAge",
        "Minimum typical age",
        "Laveste typiske alder",
    ),
    (
        HEALTH,
        "maxTypicalAge",
        "Maximum typical age",
        "Høyeste typiske alder",
    ),
    (
        HEALTH,
        "numberOfUniqueIndividuals",
        "Number of individuals",
        "Antall individer",
    ),
    (
        HEALTH,
        "numberOfRecords",
        "Number of records",
        "Antall oppføringer",
    ),
    (
        HEALTH,
        "hdab",
        "Health data access body",
        "Helsedatatilgangsorgan",
    ),
    (
        HEALTH,
        "retentionPeriod",
        "Retention period",
        "Oppbevaringsperiode",
    ),
    (HEALTH, "analytics", "Analytics", "Analyser"),
    (
        HEALTH,
        "publisherNote",
        "Publisher note",
        "Utgivers merknad",
    ),
    (HEALTH, "publisherType", "Publisher type", "Utgivertype"),
    (DCT, "issued", "Issued", "Utgitt"),
    (DCT, "modified", "Modified", "Endret"),
    (DCT, "language", "Language", "Språk"),
    (
        DCT,
        "accrualPeriodicity",
        "Frequency",
        "Oppdateringsfrekvens",
    ),
    (DCT, "conformsTo", "Conforms to", "Følger standard"),
    (DCT, "provenance", "Provenance", "Opphav"),
    (DCT, "type", "Type", "Type"),
    (DCT, "source", "Source", "Kilde"),
    (DCT, "hasPart", "Has part", "Har del"),
    (DCT, "isPartOf", "Part of", "Del av"),
    (DCT, "relation", "Related resource", "Relatert ressurs"),
    (DCT, "isReferencedBy", "Referenced by", "Referert av"),
    (DCAT, "landingPage", "Landing page", "Landingsside"),
    (DCAT, "contactPoint", "Contact point", "Kontaktpunkt"),
    (DCAT, "distribution", "Distribution", "Distribusjon"),
    (DCAT, "dataset", "Dataset", "Datasett"),
    (DCAT, "inSeries", "In series", "I serie"),
    (
        DCAT,
        "qualifiedRelation",
        "Qualified relation",
        "Kvalifisert relasjon",
    ),
    (DCAT, "version", "Version", "Versjon"),
    (DCAT, "accessURL", "Access URL", "Tilgangs-URL"),
    (DCAT, "downloadURL", "Download URL", "Nedlastings-URL"),
    (DCAT, "mediaType", "Media type", "Medietype"),
    (DCT, "format", "Format", "Format"),
    (DCAT, "byteSize", "Size (bytes)", "Størrelse (byte)"),
    (DCAT, "accessService", "Access service", "Tilgangstjeneste"),
    (DCAT, "endpointURL", "Endpoint URL", "Endepunkt-URL"),
    (
        DCAT,
        "endpointDescription",
        "Endpoint description",
        "Beskrivelse av endepunkt",
    ),
    (DCAT, "servesDataset", "Serves dataset", "Leverer datasett"),
    (DCAT, "startDate", "Start", "Start"),
    (DCAT, "endDate", "End", "Slutt"),
    (
        DCAT,
        "spatialResolutionInMeters",
        "Spatial resolution (m)",
        "Romlig oppløsning (m)",
    ),
    (
        DCAT,
        "temporalResolution",
        "Temporal resolution",
        "Tidsoppløsning",
    ),
    (
        ADMS,
        "identifier",
        "Other identifier",
        "Annen identifikator",
    ),
    (ADMS, "status", "Status", "Status"),
    (ADMS, "sample", "Sample", "Eksempel"),
    (
        "http://www.w3.org/2004/02/skos/core#",
        "notation",
        "Notation",
        "Notasjon",
    ),
    (FOAF, "name", "Name", "Navn"),
    (FOAF, "homepage", "Home page", "Hjemmeside"),
    (FOAF, "mbox", "E-mail", "E-post"),
    (FOAF, "page", "Documentation", "Dokumentasjon"),
    (FOAF, "primaryTopic", "Describes", "Beskriver"),
    (VCARD, "fn", "Name", "Navn"),
    (VCARD, "hasEmail", "E-mail", "E-post"),
    (VCARD, "hasURL", "Web page", "Nettside"),
    (VCARD, "hasTelephone", "Telephone", "Telefon"),
    (VCARD, "organization-name", "Organisation", "Organisasjon"),
    (
        "http://www.w3.org/2000/01/rdf-schema#",
        "label",
        "Label",
        "Etikett",
    ),
    (
        "http://www.w3.org/ns/prov#",
        "qualifiedAttribution",
        "Attribution",
        "Tilskrivning",
    ),
    (
        "http://spdx.org/rdf/terms#",
        "checksum",
        "Checksum",
        "Sjekksum",
    ),
    (CV, "contactPoint", "Contact point", "Kontaktpunkt"),
    (CV, "contactPage", "Contact page", "Kontaktside"),
    (CV, "email", "E-mail", "E-post"),
    (CV, "telephone", "Telephone", "Telefon"),
    (CV, "hasLegalResource", "Legal resource", "Rettskilde"),
    (
        DCATAP,
        "applicableLegislation",
        "Applicable legislation",
        "Gjeldende regelverk",
    ),
    (DCATAP, "availability", "Availability", "Tilgjengelighet"),
    (
        HEALTH,
        "hasStructuredData",
        "Has structured data",
        "Har strukturerte data",
    ),
    (HEALTH, "hasVariables", "Variables", "Variabler"),
    (
        HEALTH,
        "personalData",
        "Personal data",
        "Personopplysninger",
    ),
    (HEALTH, "purpose", "Purpose", "Formål"),
    (
        HEALTH,
        "trustedDataHolder",
        "Trusted data holder",
        "Betrodd dataholder",
    ),
];

/// (class IRI, English, Norwegian).
static CLASSES: &[(&str, &str, &str)] = &[
    ("http://www.w3.org/ns/dcat#Dataset", "Dataset", "Datasett"),
    (
        "http://www.w3.org/ns/dcat#DatasetSeries",
        "Dataset series",
        "Datasettserie",
    ),
    (
        "http://www.w3.org/ns/dcat#DataService",
        "Data service",
        "Datatjeneste",
    ),
    ("http://www.w3.org/ns/dcat#Catalog", "Catalogue", "Katalog"),
    (
        "http://www.w3.org/ns/dcat#Distribution",
        "Distribution",
        "Distribusjon",
    ),
    (
        "http://www.w3.org/ns/dcat#CatalogRecord",
        "Catalogue record",
        "Katalogpost",
    ),
    ("http://xmlns.com/foaf/0.1/Agent", "Agent", "Aktør"),
    (
        "http://xmlns.com/foaf/0.1/Organization",
        "Organisation",
        "Organisasjon",
    ),
    ("http://xmlns.com/foaf/0.1/Person", "Person", "Person"),
    ("http://www.w3.org/2006/vcard/ns#Kind", "Contact", "Kontakt"),
    (
        "http://www.w3.org/2006/vcard/ns#Organization",
        "Organisation",
        "Organisasjon",
    ),
    (
        "http://www.w3.org/2006/vcard/ns#Individual",
        "Person",
        "Person",
    ),
    (
        "http://purl.org/dc/terms/PeriodOfTime",
        "Period of time",
        "Tidsperiode",
    ),
    ("http://purl.org/dc/terms/Location", "Location", "Sted"),
    (
        "http://purl.org/dc/terms/LicenseDocument",
        "Licence",
        "Lisens",
    ),
    (
        "http://purl.org/dc/terms/RightsStatement",
        "Rights statement",
        "Rettighetserklæring",
    ),
    (
        "http://purl.org/dc/terms/ProvenanceStatement",
        "Provenance statement",
        "Opphavserklæring",
    ),
    (
        "http://data.europa.eu/m8g/ContactPoint",
        "Contact point",
        "Kontaktpunkt",
    ),
    (
        "http://www.w3.org/ns/csvw#TableGroup",
        "Table group",
        "Tabellgruppe",
    ),
    ("http://www.w3.org/ns/csvw#Table", "Table", "Tabell"),
    ("http://www.w3.org/ns/csvw#Column", "Column", "Kolonne"),
];

/// A property's name: from the table, else its local name in words.
pub fn property(iri: &str, lang: Lang) -> String {
    match PROPERTIES.iter().find(|(ns, local, _, _)| {
        iri.len() == ns.len() + local.len() && iri.starts_with(ns) && iri.ends_with(local)
    }) {
        Some((_, _, en, nb)) => match lang {
            Lang::En => (*en).to_string(),
            Lang::Nb => (*nb).to_string(),
        },
        None => super::super::html::label(iri),
    }
}

/// Where a property comes in a page: the table's order, unknown ones last.
pub fn rank(iri: &str) -> usize {
    PROPERTIES
        .iter()
        .position(|(ns, local, _, _)| {
            iri.len() == ns.len() + local.len() && iri.starts_with(ns) && iri.ends_with(local)
        })
        .unwrap_or(PROPERTIES.len())
}

/// A class's name, when known.
pub fn class(iri: &str, lang: Lang) -> Option<&'static str> {
    CLASSES
        .iter()
        .find(|(c, _, _)| *c == iri)
        .map(|(_, en, nb)| match lang {
            Lang::En => *en,
            Lang::Nb => *nb,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_in_both_languages() {
        assert_eq!(
            property("http://purl.org/dc/terms/title", Lang::Nb),
            "Tittel"
        );
        assert_eq!(
            property("http://purl.org/dc/terms/title", Lang::En),
            "Title"
        );
        assert_eq!(
            property(
                "http://healthdataportal.eu/ns/health#numberOfRecords",
                Lang::Nb
            ),
            "Antall oppføringer"
        );
        assert_eq!(
            property("https://example.org/ns#someThing", Lang::Nb),
            "Some thing"
        );
        assert!(rank("http://purl.org/dc/terms/title") < rank("http://purl.org/dc/terms/modified"));
        assert_eq!(
            class("http://www.w3.org/ns/dcat#Dataset", Lang::Nb),
            Some("Datasett")
        );
    }
}
