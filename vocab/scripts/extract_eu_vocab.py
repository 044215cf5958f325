#!/usr/bin/env python3
"""Generate katalog's compact controlled-vocabulary files (vocab/*.ttl).

Usage:
    python3 vocab/scripts/extract_eu_vocab.py REFERENCE_VOCAB_DIR [OUT_DIR]

REFERENCE_VOCAB_DIR is the `vocab/` directory of the shared reference material
(it holds eu-authority/, health/, iana/ and adms/, see its README.md).  OUT_DIR
defaults to the directory above this script (katalog's vocab/).

The script reads the recorded source files, keeps the facts a validator and a
user interface need (type, scheme, notation, preferred labels in a fixed set of
languages, hierarchy, deprecation) and writes one small, deterministic Turtle
file per vocabulary.  A few vocabularies are not part of the reference material
(the HealthDCAT-AP publisher-type, coding-system and standard NALs, the EU
language NAL, a handful of ELI legal acts); their facts are kept in the tables
at the end of this file, each with its source recorded.  Labels that katalog
wrote itself (Norwegian Bokmål where the source has none) are marked on the
concept with dct:source "katalog translation".

Requires rdflib (>= 6).  Output is byte-identical for identical input.
"""

import os
import sys
from collections import OrderedDict

import rdflib
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS, OWL, XSD

DC = rdflib.Namespace("http://purl.org/dc/elements/1.1/")
DCT = rdflib.Namespace("http://purl.org/dc/terms/")
AT = rdflib.Namespace("http://publications.europa.eu/ontology/authority/")

EU = "http://publications.europa.eu/resource/authority/"
HDEU = "https://hdeu-dcat.data.health.europa.eu/resource/authority/"
IANA = "https://www.iana.org/assignments/media-types/"

# Label languages kept, in output order.  Norwegian: EU tables tag their
# (Bokmål) Norwegian labels `no`; they are written as `nb` when the source has
# no explicit `nb` label.  `no` itself is not repeated.
LANGS = ["en", "nb", "nn", "sv", "da", "fi", "nl", "de", "fr", "es", "it", "et"]

KATALOG_TRANSLATION = "katalog translation"

PREFIXES = OrderedDict([
    ("rdf", str(RDF)),
    ("rdfs", str(RDFS)),
    ("owl", str(OWL)),
    ("xsd", str(XSD)),
    ("skos", str(SKOS)),
    ("dct", str(DCT)),
    ("dcat", "http://www.w3.org/ns/dcat#"),
    ("foaf", "http://xmlns.com/foaf/0.1/"),
    ("vcard", "http://www.w3.org/2006/vcard/ns#"),
    ("org", "http://www.w3.org/ns/org#"),
    ("cv", "http://data.europa.eu/m8g/"),
    ("eli", "http://data.europa.eu/eli/ontology#"),
])

CC_BY = "https://creativecommons.org/licenses/by/4.0/"


# ---------------------------------------------------------------------------
# Minimal deterministic Turtle writer
# ---------------------------------------------------------------------------

def _esc(s):
    out = []
    for ch in s:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        else:
            out.append(ch)
    return "".join(out)


def qname(iri):
    iri = str(iri)
    for p, ns in PREFIXES.items():
        if iri.startswith(ns):
            local = iri[len(ns):]
            if local and all(c.isalnum() or c in "_-" for c in local) and not local[0].isdigit() and local[-1] != "-":
                return "%s:%s" % (p, local)
    return "<%s>" % iri


def term(t):
    if isinstance(t, Literal):
        s = '"%s"' % _esc(str(t))
        if t.language:
            return s + "@" + t.language
        if t.datatype == XSD.boolean:
            return str(t).lower()
        if t.datatype is not None and t.datatype != XSD.string:
            return s + "^^" + qname(t.datatype)
        return s
    return qname(t)


class Doc:
    """Subjects with ordered predicates; each predicate has a list of objects."""

    def __init__(self, header):
        self.header = header
        self.subjects = OrderedDict()

    def add(self, s, p, o):
        s = URIRef(s) if not isinstance(s, URIRef) else s
        preds = self.subjects.setdefault(s, OrderedDict())
        objs = preds.setdefault(URIRef(p), [])
        if o not in objs:
            objs.append(o)

    def write(self, path):
        used = set()
        body = []
        for s, preds in self.subjects.items():
            lines = []
            ps = list(preds.items())
            for i, (p, objs) in enumerate(ps):
                pstr = "a" if p == RDF.type else term(p)
                ostr = " , ".join(term(o) for o in objs)
                lines.append("    %s %s %s" % (pstr, ostr, "." if i == len(ps) - 1 else ";"))
            body.append(term(s) + "\n" + "\n".join(lines) + "\n")
        text = "\n".join(body)
        for p, ns in PREFIXES.items():
            if (p + ":") in text:
                used.add(p)
        head = "".join("# %s\n" % l if l else "#\n" for l in self.header.splitlines())
        pre = "".join("@prefix %s: <%s> .\n" % (p, ns) for p, ns in PREFIXES.items() if p in used)
        with open(path, "w", encoding="utf-8") as f:
            f.write(head + "\n" + pre + "\n" + text)


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

def pick_labels(g, s, pred=SKOS.prefLabel):
    """Return OrderedDict lang -> label for LANGS (first value per language, sorted)."""
    by = {}
    for o in sorted(g.objects(s, pred), key=lambda x: (x.language or "", str(x))):
        lang = (o.language or "").lower()
        by.setdefault(lang, str(o))
    if "nb" not in by and "no" in by:
        by["nb"] = by["no"]
    return OrderedDict((l, by[l]) for l in LANGS if l in by)


def scheme_block(doc, scheme, title, version=None, source=None, extra_types=()):
    doc.add(scheme, RDF.type, SKOS.ConceptScheme)
    for t in extra_types:
        doc.add(scheme, RDF.type, t)
    for lang, text in title.items():
        doc.add(scheme, SKOS.prefLabel, Literal(text, lang=lang))
        doc.add(scheme, DCT.title, Literal(text, lang=lang))
    if version:
        doc.add(scheme, OWL.versionInfo, Literal(version))
    if source:
        doc.add(scheme, DCT.source, Literal(source))


def concept(doc, c, scheme, notation, labels, types=(), deprecated=False, broader=(),
            top=False, katalog_langs=(), alt=None, definition=None):
    doc.add(c, RDF.type, SKOS.Concept)
    for t in types:
        doc.add(c, RDF.type, t)
    doc.add(c, SKOS.inScheme, URIRef(scheme))
    if top:
        doc.add(c, SKOS.topConceptOf, URIRef(scheme))
    for b in broader:
        doc.add(c, SKOS.broader, URIRef(b))
    if notation:
        doc.add(c, SKOS.notation, Literal(notation))
    for lang in LANGS:
        if lang in labels:
            doc.add(c, SKOS.prefLabel, Literal(labels[lang], lang=lang))
    if alt:
        for lang, text in alt.items():
            doc.add(c, SKOS.altLabel, Literal(text, lang=lang))
    if definition:
        doc.add(c, SKOS.definition, Literal(definition, lang="en"))
    if deprecated:
        doc.add(c, OWL.deprecated, Literal(True))
    if katalog_langs:
        doc.add(c, DCT.source, Literal(KATALOG_TRANSLATION + " (" + ", ".join(katalog_langs) + ")"))


def header(title, source, languages, licence="CC BY 4.0 (EU Publications Office reuse policy)", notes=""):
    h = ("%s\n\nGenerated by vocab/scripts/extract_eu_vocab.py - do not edit by hand.\n"
         "Source: %s\nLicence of the source data: %s\nLanguages: %s\n" % (title, source, licence, languages))
    if notes:
        h += notes.rstrip("\n") + "\n"
    return h


def eu_code(g, c):
    v = g.value(c, AT["authority-code"]) or g.value(c, DC.identifier)
    return str(v) if v is not None else str(c).rsplit("/", 1)[-1]


def eu_deprecated(g, c):
    return str(g.value(c, AT.deprecated) or "false").lower() == "true"


def sort_key(c):
    return str(c)


# ---------------------------------------------------------------------------
# EU authority tables (RDF/XML SKOS exports and FDK SPARQL extracts)
# ---------------------------------------------------------------------------

def eu_table(ref, relpath, name, out, fname, types=(), title_en=None, add_nb=None, extra=None,
             keep_alt=False, langs_note=None, notes=""):
    src = os.path.join(ref, relpath)
    g = rdflib.Graph().parse(src)
    scheme = URIRef(EU + name)
    version = g.value(scheme, OWL.versionInfo) or g.value(scheme, AT["table.version.number"])
    sl = pick_labels(g, scheme)
    if not sl and title_en:
        sl = OrderedDict([("en", title_en)])
    doc = Doc(header("EU authority table <%s> (%s)" % (scheme, title_en or name),
                     "shared reference vocab/%s (version %s)" % (relpath, version),
                     langs_note or " ".join(LANGS), notes=notes))
    scheme_block(doc, scheme, sl or {"en": title_en}, version=str(version) if version else None,
                 source="EU Publications Office, %s%s" % (EU, name))
    concepts = sorted(set(g.subjects(SKOS.inScheme, scheme)), key=sort_key)
    for c in concepts:
        labels = pick_labels(g, c)
        kl = []
        if add_nb and "nb" not in labels and str(c) in add_nb:
            labels["nb"] = add_nb[str(c)]
            labels = OrderedDict((l, labels[l]) for l in LANGS if l in labels)
            kl.append("nb")
        alt = None
        if keep_alt:
            a = [str(o) for o in g.objects(c, SKOS.altLabel) if o.language == "en"]
            if a:
                alt = {"en": sorted(a)[0]}
        concept(doc, c, scheme, eu_code(g, c), labels, types=types,
                deprecated=eu_deprecated(g, c),
                broader=[b for b in sorted(g.objects(c, SKOS.broader), key=str) if (b, SKOS.inScheme, scheme) in g],
                katalog_langs=kl, alt=alt)
    if extra:
        extra(doc, scheme)
    doc.write(os.path.join(out, fname))
    return len(concepts) + (0 if not extra else 0)


# ---------------------------------------------------------------------------
# Embedded tables (facts from sources outside the shared reference material)
# ---------------------------------------------------------------------------

ACCESS_RIGHT_NB = {
    EU + "access-right/PUBLIC": "allmenn tilgang",
    EU + "access-right/RESTRICTED": "begrenset tilgang",
    EU + "access-right/NON_PUBLIC": "ikke-allmenn tilgang",
    EU + "access-right/SENSITIVE": "sensitiv",
    EU + "access-right/CONFIDENTIAL": "konfidensiell",
    EU + "access-right/NORMAL": "normal",
}

# Apache Parquet was added to the EU file-type table after version 20221214-0
# (the vendored snapshot); it is in the current table.
FILE_TYPE_ADDITIONS = [
    ("PARQUET", {"en": "Parquet"}, {"en": "Apache Parquet"},
     "EU file-type table, releases after 20221214-0 (not in the vendored snapshot)"),
]

# Apache Parquet's media type was registered with IANA in 2024, after the FDK
# media-type snapshot was taken.
# The FDK snapshot lists only application/* types (and one text/* type); common types of the
# other top-level types are added here from the IANA registry.
_IANA_ADD = "IANA media type registry (not in the FDK snapshot)"
MEDIA_TYPE_ADDITIONS = [
    ("application/vnd.apache.parquet", "IANA media type registry (registered 2024; not in the FDK snapshot)"),
] + [(mt, _IANA_ADD) for mt in (
    "text/csv", "text/html", "text/plain", "text/tab-separated-values", "text/turtle", "text/n3",
    "text/xml", "text/markdown", "text/calendar", "text/css", "text/javascript", "text/uri-list",
    "text/vcard", "text/rtf", "text/richtext",
    "image/png", "image/jpeg", "image/gif", "image/tiff", "image/svg+xml", "image/webp", "image/bmp",
    "image/jp2", "image/dicom-rle",
    "audio/mpeg", "audio/ogg", "audio/mp4", "video/mp4", "video/mpeg", "video/ogg", "video/quicktime",
    "model/stl", "model/gltf+json", "model/obj",
    "multipart/form-data", "multipart/mixed", "multipart/related",
)]

HEALTH_CATEGORY_NB = {
    "DIOH": "Data om faktorer som påvirker helsen, inkludert sosioøkonomiske, miljømessige og atferdsmessige påvirkningsfaktorer",
    "EHCT": "Data fra kliniske studier, kliniske utprøvinger og ytelsesstudier som omfattes av forordning (EU) nr. 536/2014, forordning (EU) 2024/1938, forordning (EU) 2017/745 og forordning (EU) 2017/746",
    "EHRS": "Elektroniske helsedata fra pasientjournaler",
    "EINS": "Helsedata fra biobanker og tilknyttede databaser",
    "EMRD": "Andre helsedata fra medisinsk utstyr",
    "HGPD": "Humane genetiske, epigenomiske og genomiske data",
    "HPML": "Andre humane molekylære data, som proteomiske, transkriptomiske, metabolomiske, lipidomiske og andre omikkdata",
    "HRAD": "Helserelaterte administrative data, inkludert data om utlevering av legemidler, refusjonskrav og refusjoner",
    "IDHP": "Data om yrkesstatus, spesialisering og arbeidssted for helsepersonell som deltar i behandlingen av en fysisk person",
    "MRMR": "Data fra medisinske registre og dødsårsaksregistre",
    "NRPE": "Aggregerte data om behov for helsetjenester, ressurser til helsetjenester, tilbud av og tilgang til helsetjenester, helseutgifter og finansiering",
    "PGEH": "Personlige elektroniske helsedata som genereres automatisk av medisinsk utstyr",
    "PHDR": "Data fra befolkningsbaserte helseregistre, for eksempel folkehelseregistre",
    "RMMD": "Data fra registre for legemidler og medisinsk utstyr",
    "RPDG": "Data om patogener som påvirker menneskers helse",
    "RQSH": "Data fra forskningskohorter, spørreskjemaer og spørreundersøkelser om helse, etter første publisering av resultatene",
    "WELA": "Data fra velværeapplikasjoner",
}

ADMS_NB = {
    # publisher types
    "http://purl.org/adms/publishertype/Academia-ScientificOrganisation": "Akademisk/vitenskapelig organisasjon",
    "http://purl.org/adms/publishertype/Company": "Selskap",
    "http://purl.org/adms/publishertype/IndustryConsortium": "Bransjekonsortium",
    "http://purl.org/adms/publishertype/LocalAuthority": "Lokal myndighet",
    "http://purl.org/adms/publishertype/NationalAuthority": "Nasjonal myndighet",
    "http://purl.org/adms/publishertype/NonGovernmentalOrganisation": "Ikke-statlig organisasjon",
    "http://purl.org/adms/publishertype/NonProfitOrganisation": "Ideell organisasjon",
    "http://purl.org/adms/publishertype/PrivateIndividual(s)": "Privatperson(er)",
    "http://purl.org/adms/publishertype/RegionalAuthority": "Regional myndighet",
    "http://purl.org/adms/publishertype/StandardisationBody": "Standardiseringsorgan",
    "http://purl.org/adms/publishertype/SupraNationalAuthority": "Overnasjonal myndighet",
    # status
    "http://purl.org/adms/status/Completed": "ferdigstilt",
    "http://purl.org/adms/status/Deprecated": "frarådet",
    "http://purl.org/adms/status/UnderDevelopment": "under utvikling",
    "http://purl.org/adms/status/Withdrawn": "trukket tilbake",
}

# HealthDCAT-AP publisher-type NAL <https://hdeu-dcat.data.health.europa.eu/resource/authority/publisher-type>.
# Source: HealthDCAT-AP release 8 validator background file catalogue/publisher-type.rdf
# (code.europa.eu healthdataeu/healthdcat-ap @ cd7841f, as vendored in GitHub
# SemanticDataCharter/sdc_healthdcat_ap, data/healthdcat-ap-r8-cd7841f/validator/catalogue/publisher-type.rdf,
# commit 4e4ca6064c972ed2195688c469996df61085bad9), CC BY 4.0 (European Union / DG SANTE).
# code: (broader or None for a top concept, {lang: label}) - labels as published upstream.
HDEU_PUBLISHER_TYPES = OrderedDict([
    ("gov-public-sector-org", (None, {"en": "Government and Public Sector Organizations", "nb": "Offentlige og statlige organisasjoner", "nn": "Statlege og offentlege organisasjonar", "sv": "Statliga och offentliga organisationer", "da": "Statslige og offentlige organisationer", "fi": "Valtion ja julkisen sektorin organisaatiot", "nl": "Overheids- en publieke sectororganisaties", "de": "Regierungs- und Organisationen des öffentlichen Sektors", "fr": "Organisations gouvernementales et du secteur public", "es": "Organizaciones gubernamentales y del sector público", "it": "Organizzazioni governative e del settore pubblico", "et": "Valitsus- ja avaliku sektori organisatsioonid"})),
    ("national-authority", ("gov-public-sector-org", {"en": "National authority", "nb": "Nasjonal myndighet", "nn": "Nasjonal myndigheit", "sv": "Nationell myndighet", "da": "National myndighed", "fi": "Kansallinen viranomainen", "nl": "Nationale autoriteit", "de": "Nationale Behörde", "fr": "Autorité nationale", "es": "Autoridad nacional", "it": "Autorità nazionale", "et": "Riiklik asutus"})),
    ("regional-authority", ("gov-public-sector-org", {"en": "Regional authority", "nb": "Regional myndighet", "nn": "Regional myndigheit", "sv": "Regional myndighet", "da": "Regional myndighed", "fi": "Alueviranomainen", "nl": "Regionale autoriteit", "de": "Regionale Behörde", "fr": "Autorité régionale", "es": "Autoridad regional", "it": "Autorità regionale", "et": "Piirkondlik asutus"})),
    ("public-health-institute", ("gov-public-sector-org", {"en": "Public health institute", "nb": "Folkehelseinstitutt", "nn": "Folkehelseinstitutt", "sv": "Folkhälsoinstitut", "da": "Institut for folkesundhed", "fi": "Kansanterveyslaitos", "nl": "Instituut voor volksgezondheid", "de": "Institut für öffentliche Gesundheit", "fr": "Institut de santé publique", "es": "Instituto de salud pública", "it": "Istituto di sanità pubblica", "et": "Rahvatervise instituut"})),
    ("public-health-org", ("gov-public-sector-org", {"en": "Public health organisation", "nb": "Folkehelseorganisasjon", "nn": "Folkehelseorganisasjon", "sv": "Folkhälsoorganisation", "da": "Folkesundhedsorganisation", "fi": "Kansanterveysjärjestö", "nl": "Volksgezondheidsorganisatie", "de": "Organisation des öffentlichen Gesundheitswesens", "fr": "Organisation de santé publique", "es": "Organización de salud pública", "it": "Organizzazione di sanità pubblica", "et": "Rahvatervise organisatsioon"})),
    ("public-health-registry", ("gov-public-sector-org", {"en": "Public health registry", "nb": "Folkehelseregister", "nn": "Folkehelseregister", "sv": "Folkhälsoregister", "da": "Folkesundhedsregister", "fi": "Kansanterveysrekisteri", "nl": "Volksgezondheidsregister", "de": "Register des öffentlichen Gesundheitswesens", "fr": "Registre de santé publique", "es": "Registro de salud pública", "it": "Registro di sanità pubblica", "et": "Rahvatervise register"})),
    ("quality-registry", ("gov-public-sector-org", {"en": "Quality registry", "nb": "Kvalitetsregister", "nn": "Kvalitetsregister", "sv": "Kvalitetsregister", "da": "Kvalitetsregister", "fi": "Laaturekisteri", "nl": "Kwaliteitsregister", "de": "Qualitätsregister", "fr": "Registre de la qualité", "es": "Registro de calidad", "it": "Registro di qualità", "et": "Kvaliteediregister"})),
    ("pathology-registry", ("gov-public-sector-org", {"en": "Pathology registry", "nb": "Patologiregister", "nn": "Patologregister", "sv": "Patologiregister", "da": "Patologiregister", "fi": "Patologian rekisteri", "nl": "Pathologieregister", "de": "Pathologieregister", "fr": "Registre de pathologie", "es": "Registro de patología", "it": "Registro di patologia", "et": "Patoloogia register"})),
    ("administrative-institution", ("gov-public-sector-org", {"en": "Administrative institution", "nb": "Administrativ institusjon", "nn": "Administrativ institusjon", "sv": "Administrativ institution", "da": "Administrativ institution", "fi": "Hallinnollinen laitos", "nl": "Administratieve instelling", "de": "Verwaltungseinrichtung", "fr": "Institution administrative", "es": "Institución administrativa", "it": "Istituzione amministrativa", "et": "Haldusasutus"})),
    ("stat-agency", ("gov-public-sector-org", {"en": "Statistics agency", "nb": "Statistisk byrå", "nn": "Statistikkbyrå", "sv": "Statistikbyrå", "da": "Statistikbureau", "fi": "Tilastokeskus", "nl": "Statistiekbureau", "de": "Statistikagentur", "fr": "Agence de statistique", "es": "Agencia de estadísticas", "it": "Agenzia di statistica", "et": "Statistikaamet"})),
    ("other-government-agency", ("gov-public-sector-org", {"en": "Other government agency", "nb": "Annet statlig organ", "nn": "Annan statleg etat", "sv": "Annan statlig myndighet", "da": "Anden offentlig myndighed", "fi": "Muu valtion virasto", "nl": "Andere overheidsinstantie", "de": "Andere Regierungsbehörde", "fr": "Autre agence gouvernementale", "es": "Otra agencia gubernamental", "it": "Altra agenzia governativa", "et": "Muu valitsusasutus"})),
    ("healthcare-providers", (None, {"en": "Healthcare Providers", "nb": "Helsepersonell", "nn": "Helsepersonell", "sv": "Sjukvårdsgivare", "da": "Sundhedsudbydere", "fi": "Terveydenhuollon tarjoajat", "nl": "Zorgaanbieders", "de": "Gesundheitsdienstleister", "fr": "Fournisseurs de soins de santé", "es": "Proveedores de atención médica", "it": "Fornitori di assistenza sanitaria", "et": "Tervishoiuteenuse osutajad"})),
    ("inpatient-institute", ("healthcare-providers", {"en": "Inpatient institution/Hospital", "nb": "Sykehus/institusjon for inneliggende pasienter", "nn": "Sjukehus/institusjon for inneliggande pasientar", "sv": "Slutenvårdsinrättning/sjukhus", "da": "Døgninstitution/hospital", "fi": "Sairaalahoitolaitos/sairaala", "nl": "Klinische instelling/ziekenhuis", "de": "Stationäre Einrichtung/Krankenhaus", "fr": "Établissement d'hospitalisation/Hôpital", "es": "Institución de hospitalización/Hospital", "it": "Istituto di ricovero/Ospedale", "et": "Statsionaarne raviasutus/haigla"})),
    ("outpatient-institution", ("healthcare-providers", {"en": "Outpatient institution", "nb": "Poliklinisk institusjon", "nn": "Poliklinisk institusjon", "sv": "Öppenvårdsinstitution", "da": "Ambulant institution", "fi": "Avohoitolaitos", "nl": "Poliklinische instelling", "de": "Ambulante Einrichtung", "fr": "Établissement ambulatoire", "es": "Institución ambulatoria", "it": "Istituto ambulatoriale", "et": "Ambulatoorne raviasutus"})),
    ("primary-care-org", ("healthcare-providers", {"en": "Primary care organisation", "nb": "Primærhelsetjenesteorganisasjon", "nn": "Primærhelsetenesteorganisasjon", "sv": "Primärvårdsorganisation", "da": "Primærplejeorganisation", "fi": "Perusterveydenhuollon organisaatio", "nl": "Eerstelijnszorgorganisatie", "de": "Organisation der Primärversorgung", "fr": "Organisation de soins primaires", "es": "Organización de atención primaria", "it": "Organizzazione di assistenza primaria", "et": "Esmase arstiabi osutaja"})),
    ("mental-health-org", ("healthcare-providers", {"en": "Mental health organisation", "nb": "Psykisk helseorganisasjon", "nn": "Psykisk helseorganisasjon", "sv": "Organisation för psykisk hälsa", "da": "Organisation for mental sundhed", "fi": "Mielenterveysjärjestö", "nl": "Organisatie voor geestelijke gezondheidszorg", "de": "Organisation für psychische Gesundheit", "fr": "Organisation de santé mentale", "es": "Organización de salud mental", "it": "Organizzazione di salute mentale", "et": "Vaimse tervise organisatsioon"})),
    ("municipality-or-other-area", ("healthcare-providers", {"en": "Municipality or other area", "nb": "Kommune eller annet område", "nn": "Kommune eller anna område", "sv": "Kommun eller annat område", "da": "Kommune eller andet område", "fi": "Kunta tai muu alue", "nl": "Gemeente of ander gebied", "de": "Gemeinde oder sonstiges Gebiet", "fr": "Municipalité ou autre zone", "es": "Municipio u otra área", "it": "Comune o altra area", "et": "Vald või muu ala"})),
    ("research-academic-org", (None, {"en": "Research and Academic organizations", "nb": "Forsknings- og akademiske organisasjoner", "nn": "Forskings- og akademiske organisasjonar", "sv": "Forsknings- och akademiska organisationer", "da": "Forsknings- og akademiske organisationer", "fi": "Tutkimus- ja akateemiset organisaatiot", "nl": "Onderzoeks- en academische organisaties", "de": "Forschungs- und akademische Organisationen", "fr": "Organismes de recherche et universitaires", "es": "Organizaciones de investigación y académicas", "it": "Organizzazioni di ricerca e accademiche", "et": "Teadus- ja akadeemilised organisatsioonid"})),
    ("research-institute-org", ("research-academic-org", {"en": "Research institute/organisation", "nb": "Forskningsinstitutt/-organisasjon", "nn": "Forskingsinstitutt/-organisasjon", "sv": "Forskningsinstitut/organisation", "da": "Forskningsinstitut/-organisation", "fi": "Tutkimuslaitos/organisaatio", "nl": "Onderzoeksinstituut/-organisatie", "de": "Forschungsinstitut/-organisation", "fr": "Institut/organisme de recherche", "es": "Instituto/organización de investigación", "it": "Istituto/organizzazione di ricerca", "et": "Teadusinstituut/organisatsioon"})),
    ("research-infra", ("research-academic-org", {"en": "Research Infrastructures", "nb": "Forskningsinfrastrukturer", "nn": "Forskingsinfrastrukturar", "sv": "Forskningsinfrastrukturer", "da": "Forskningsinfrastrukturer", "fi": "Tutkimusinfrastruktuurit", "nl": "Onderzoeksinfrastructuren", "de": "Forschungsinfrastrukturen", "fr": "Infrastructures de recherche", "es": "Infraestructuras de investigación", "it": "Infrastrutture di ricerca", "et": "Teadustaristud"})),
    ("national-cancer-institute", ("research-academic-org", {"en": "National Cancer Institute", "nb": "Nasjonalt kreftinstitutt", "nn": "Nasjonalt kreftinstitutt", "sv": "Nationella cancerinstitutet", "da": "National Cancer Institute", "fi": "Kansallinen syöpäinstituutti", "nl": "Nationaal Kankerinstituut", "de": "Nationales Krebsinstitut", "fr": "Institut national du cancer", "es": "Instituto Nacional del Cáncer", "it": "Istituto Nazionale dei Tumori", "et": "Riiklik Vähiinstituut"})),
    ("biobank", ("research-academic-org", {"en": "Biobank", "nb": "Biobank", "nn": "Biobank", "sv": "Biobank", "da": "Biobank", "fi": "Biopankki", "nl": "Biobank", "de": "Biobank", "fr": "Biobanque", "es": "Biobanco", "it": "Biobanca", "et": "Biopank"})),
    ("other-public-institute", ("research-academic-org", {"en": "Other public institutes that collect health data", "nb": "Andre offentlige institutter som samler inn helsedata", "nn": "Andre offentlege institutt som samlar inn helsedata", "sv": "Andra offentliga institut som samlar in hälsodata", "da": "Andre offentlige institutioner, der indsamler sundhedsdata", "fi": "Muut julkiset laitokset, jotka keräävät terveystietoja", "nl": "Andere openbare instituten die gezondheidsgegevens verzamelen", "de": "Andere öffentliche Institute, die Gesundheitsdaten sammeln", "fr": "Autres instituts publics qui collectent des données de santé", "es": "Otros institutos públicos que recogen datos de salud", "it": "Altri istituti pubblici che raccolgono dati sanitari", "et": "Muud avalik-õiguslikud asutused, mis koguvad terviseandmeid"})),
    ("university", (None, {"en": "University", "nb": "Universitet", "nn": "Universitet", "sv": "Universitet", "da": "Universitet", "fi": "Yliopisto", "nl": "Universiteit", "de": "Universität", "fr": "Université", "es": "Universidad", "it": "Università", "et": "Ülikool"})),
    ("non-gov-org", (None, {"en": "Non-Governmental Organizations", "nb": "Ikke-statlige organisasjoner", "nn": "Ikkje-statlege organisasjonar", "sv": "Icke-statliga organisationer", "da": "Ikke-statslige organisationer", "fi": "Kansalaisjärjestöt", "nl": "Niet-gouvernementele organisaties", "de": "Nichtregierungsorganisationen", "fr": "Organisations non gouvernementales", "es": "Organizaciones no gubernamentales", "it": "Organizzazioni non governative", "et": "Valitsusvälised organisatsioonid"})),
    ("not-for-profit-org", ("non-gov-org", {"en": "Not-for profit organisation", "nb": "Ikke-fortjenesteorganisasjon", "nn": "Ikkje-profittorganisasjon", "sv": "Icke-vinstdrivande organisation", "da": "Non-profit organisation", "fi": "Voittoa tavoittelematon organisaatio", "nl": "Organisatie zonder winstoogmerk", "de": "Gemeinnützige Organisation", "fr": "Organisation à but non lucratif", "es": "Organización sin ánimo de lucro", "it": "Organizzazione senza scopo di lucro", "et": "Mittetulundusühing"})),
    ("private-sector-entities", (None, {"en": "Private Sector Entities", "nb": "Private sektor-enheter", "nn": "Private sektor-einingar", "sv": "Enheter inom den privata sektorn", "da": "Enheder i den private sektor", "fi": "Yksityisen sektorin yhteisöt", "nl": "Particuliere sector entiteiten", "de": "Unternehmen des Privatsektors", "fr": "Entités du secteur privé", "es": "Entidades del sector privado", "it": "Enti del settore privato", "et": "Erasektori üksused"})),
    ("private-company", ("private-sector-entities", {"en": "Private company", "nb": "Privat selskap", "nn": "Privat selskap", "sv": "Privat företag", "da": "Privat virksomhed", "fi": "Yksityinen yritys", "nl": "Particulier bedrijf", "de": "Privatunternehmen", "fr": "Entreprise privée", "es": "Empresa privada", "it": "Azienda privata", "et": "Eraettevõte"})),
    ("pharma-company", ("private-sector-entities", {"en": "Pharmaceutical companies", "nb": "Legemiddelselskaper", "nn": "Legemiddelselskap", "sv": "Läkemedelsföretag", "da": "Lægemiddelvirksomheder", "fi": "Lääkeyritykset", "nl": "Farmaceutische bedrijven", "de": "Pharmaunternehmen", "fr": "Entreprises pharmaceutiques", "es": "Empresas farmacéuticas", "it": "Aziende farmaceutiche", "et": "Farmaatsiaettevõtted"})),
    ("health-insurance-company-org", ("private-sector-entities", {"en": "Health insurance company/organisation", "nb": "Helseforsikringsselskap/-organisasjon", "nn": "Helseforsikringsselskap/-organisasjon", "sv": "Sjukförsäkringsbolag/organisation", "da": "Sygeforsikringsselskab/organisation", "fi": "Sairausvakuutusyhtiö/organisaatio", "nl": "Zorgverzekeraar/organisatie", "de": "Krankenversicherungsgesellschaft/-organisation", "fr": "Compagnie/organisation d'assurance maladie", "es": "Compañía/organización de seguros de salud", "it": "Compagnia/organizzazione di assicurazione sanitaria", "et": "Ravikindlustusselts/organisatsioon"})),
    ("private-health-insurance", ("private-sector-entities", {"en": "Private health insurance", "nb": "Privat helseforsikring", "nn": "Privat helseforsikring", "sv": "Privat sjukförsäkring", "da": "Privat sundhedsforsikring", "fi": "Yksityinen sairausvakuutus", "nl": "Particuliere ziektekostenverzekering", "de": "Private Krankenversicherung", "fr": "Assurance maladie privée", "es": "Seguro de salud privado", "it": "Assicurazione sanitaria privata", "et": "Eraviisiline ravikindlustus"})),
    ("health-technology-manufacturer", ("private-sector-entities", {"en": "Health app/technology manufacturer", "nb": "Produsent av helseapp/teknologi", "nn": "Produsent av helseapp/teknologi", "sv": "Tillverkare av hälsoappar/teknik", "da": "Producent af sundhedsapps/teknologi", "fi": "Terveyssovelluksen/teknologian valmistaja", "nl": "Fabrikant van gezondheidsapps/technologie", "de": "Hersteller von Gesundheits-Apps/Technologie", "fr": "Fabricant d'applications/de technologies de santé", "es": "Fabricante de aplicaciones/tecnología de salud", "it": "Produttore di app/tecnologia per la salute", "et": "Terviserakenduse/tehnoloogia tootja"})),
    ("software-manufacturer", ("private-sector-entities", {"en": "Software manufacturer", "nb": "Programvareprodusent", "nn": "Programvareprodusent", "sv": "Programvarutillverkare", "da": "Softwareproducent", "fi": "Ohjelmiston valmistaja", "nl": "Softwarefabrikant", "de": "Softwarehersteller", "fr": "Fabricant de logiciels", "es": "Fabricante de software", "it": "Produttore di software", "et": "Tarkvara tootja"})),
    ("laboratory", ("private-sector-entities", {"en": "Laboratory", "nb": "Laboratorium", "nn": "Laboratorium", "sv": "Laboratorium", "da": "Laboratorium", "fi": "Laboratorio", "nl": "Laboratorium", "de": "Labor", "fr": "Laboratoire", "es": "Laboratorio", "it": "Laboratorio", "et": "Labor"})),
    ("pharmacy", ("private-sector-entities", {"en": "Pharmacy", "nb": "Apotek", "nn": "Apotek", "sv": "Apotek", "da": "Apotek", "fi": "Apteekki", "nl": "Apotheek", "de": "Apotheke", "fr": "Pharmacie", "es": "Farmacia", "it": "Farmacia", "et": "Apteek"})),
    ("other-company", ("private-sector-entities", {"en": "Other type of company that somehow collects health data", "nb": "Annen type selskap som på en eller annen måte samler inn helsedata", "nn": "Anna type selskap som på ein eller annan måte samlar inn helsedata", "sv": "Annan typ av företag som på något sätt samlar in hälsodata", "da": "Anden type virksomhed, der på en eller anden måde indsamler sundhedsdata", "fi": "Muu yritys, joka kerää terveystietoja", "nl": "Ander type bedrijf dat op de een of andere manier gezondheidsgegevens verzamelt", "fr": "Autre type d'entreprise qui collecte d'une manière ou d'une autre des données de santé", "es": "Otro tipo de empresa que de alguna manera recopila datos de salud", "it": "Altro tipo di azienda che in qualche modo raccoglie dati sanitari", "et": "Muud tüüpi ettevõte, mis kogub mingil moel terviseandmeid"})),
])

HDEU_R8_SOURCE = ("HealthDCAT-AP release 8 validator background file catalogue/%s "
                  "(code.europa.eu healthdataeu/healthdcat-ap @ cd7841f, vendored in GitHub SemanticDataCharter/sdc_healthdcat_ap, "
                  "data/healthdcat-ap-r8-cd7841f/validator/catalogue/%s, commit 4e4ca6064c972ed2195688c469996df61085bad9)")

# HealthDCAT-AP coding-system NAL: the 32 top concepts of the upstream scheme (flat list).
# Concept IRIs from HDEU_R8_SOURCE % "coding-system.rdf"; English names of the systems:
# upstream label where noted (*), otherwise the system's usual English name.
HDEU_CODING_SYSTEMS = OrderedDict([
    ("ATC", "Anatomical Therapeutic Chemical Classification System"),  # *
    ("DICOM-CT", "DICOM Controlled Terminology"),
    ("EDQM", "EDQM Standard Terms"),
    ("EMA-SPOR", "EMA Substances, Products, Organisations and Referentials (SPOR)"),
    ("EMDN", "European Medical Device Nomenclature"),
    ("GMDN", "Global Medical Device Nomenclature"),
    ("HGNC", "HUGO Gene Nomenclature Committee gene nomenclature"),
    ("HPO", "Human Phenotype Ontology"),
    ("ICD-9-CM", "International Classification of Diseases, 9th revision, Clinical Modification"),
    ("ICD-10", "International Classification of Diseases, 10th revision"),
    ("ICD-10-NAT", "National modification of ICD-10"),
    ("ICD-11", "International Classification of Diseases, 11th revision"),
    ("ICD-O", "International Classification of Diseases for Oncology"),
    ("ICF", "International Classification of Functioning, Disability and Health"),  # *
    ("ICHI", "International Classification of Health Interventions"),
    ("ICPC-2", "International Classification of Primary Care, 2nd edition"),
    ("ICPC-3", "International Classification of Primary Care, 3rd edition"),
    ("LOINC", "Logical Observation Identifiers Names and Codes"),
    ("MEDDRA", "Medical Dictionary for Regulatory Activities"),
    ("MESH", "Medical Subject Headings"),
    ("NCIT", "NCI Thesaurus"),
    ("NPU", "Nomenclature for Properties and Units"),
    ("OHDSI-VOCAB", "OHDSI Standardized Vocabularies"),
    ("OPS", "Operationen- und Prozedurenschlüssel (OPS)"),
    ("ORDO", "Orphanet Rare Disease Ontology"),
    ("ORPHACODE", "Orphanet nomenclature of rare diseases (ORPHAcodes)"),
    ("PROC-CODES-NAT", "National procedure codes"),
    ("RXNORM", "RxNorm"),
    ("SNOMED-CT", "SNOMED CT"),
    ("UCUM", "Unified Code for Units of Measure"),
    ("UMLS", "Unified Medical Language System"),
    ("WHODRUG", "WHODrug Global"),
])

# HealthDCAT-AP standard NAL (HDEU_R8_SOURCE % "standard.rdf"): code -> (broader, English label as published).
# Upstream types the 20 leaf concepts as dct:Standard; the 5 grouping top concepts are skos:Concept only.
HDEU_STANDARDS = OrderedDict([
    ("API", (None, "API")),
    ("DOCUMENT-FORMAT", (None, "Document Format")),
    ("INFORMATION-MODEL", (None, "Information Model")),
    ("MESSAGING-STANDARD", (None, "Messaging Standard")),
    ("TERMINOLOGY-ONTOLOGY-STANDARD", (None, "Terminology and ontology standard")),
    ("BEACON", ("API", "Global Alliance for Genomics and Health (GA4GH) Beacon")),
    ("FHIR", ("API", "Fast Healthcare Interoperability Resources")),
    ("HL7-CCOW", ("API", "HL7 Context Management Specification (CCOW)")),
    ("CDA", ("DOCUMENT-FORMAT", "Clinical Document Architecture")),
    ("DICOM", ("DOCUMENT-FORMAT", "Digital Imaging and Communications in Medicine")),
    ("IHE-XDS.b", ("DOCUMENT-FORMAT", "IHE Cross-Enterprise Document Sharing - IHE-XDS.b")),
    ("CDISC-SDTM", ("INFORMATION-MODEL", "CDISC SDTM")),
    ("ECRIN-CRMDR", ("INFORMATION-MODEL", "ECRIN Metadata Schemas")),
    ("FAIRSHARING", ("INFORMATION-MODEL", "FAIRsharing Application Schema")),
    ("INSPIRE", ("INFORMATION-MODEL", "INSPIRE Metadata Technical Guidance")),
    ("ISO-13606-1", ("INFORMATION-MODEL", "ISO 13606-1 — EHR Reference Model")),
    ("ISO-13940", ("INFORMATION-MODEL", "ISO 13940:2015 (ContSys)")),
    ("MIABIS", ("INFORMATION-MODEL", "BBMRI-MIABIS Core")),
    ("OMOP-CDM", ("INFORMATION-MODEL", "OMOP CDM")),
    ("OPENEHR", ("INFORMATION-MODEL", "openEHR Specifications")),
    ("PHIRI", ("INFORMATION-MODEL", "PHIRI metadata template")),
    ("HL7", ("MESSAGING-STANDARD", "Health Level Seven Standards")),
    ("IEEE-11073-20702", ("MESSAGING-STANDARD", "ISO/IEEE 11073-20702 — Medical DPWS")),
    ("IDMP", ("TERMINOLOGY-ONTOLOGY-STANDARD", "ISO IDMP suite / EMA SPOR")),
    ("MEDDRA", ("TERMINOLOGY-ONTOLOGY-STANDARD", "Medical Dictionary for Regulatory Activities")),
])

# EU language NAL <http://publications.europa.eu/resource/authority/language> (the table itself is
# too large for the reference material): authority codes as in the EU table; English and Norwegian
# Bokmål names and the language's own name (for the label languages katalog keeps) written by katalog.
LANGUAGES = OrderedDict([
    # code: (en, nb, {own-language label})
    ("BUL", ("Bulgarian", "bulgarsk", {})),
    ("CAT", ("Catalan", "katalansk", {})),
    ("CES", ("Czech", "tsjekkisk", {})),
    ("DAN", ("Danish", "dansk", {"da": "dansk"})),
    ("DEU", ("German", "tysk", {"de": "Deutsch"})),
    ("ELL", ("Greek", "gresk", {})),
    ("ENG", ("English", "engelsk", {})),
    ("EST", ("Estonian", "estisk", {"et": "eesti"})),
    ("EUS", ("Basque", "baskisk", {})),
    ("FAO", ("Faroese", "færøysk", {})),
    ("FIN", ("Finnish", "finsk", {"fi": "suomi"})),
    ("FRA", ("French", "fransk", {"fr": "français"})),
    ("FRY", ("Western Frisian", "vestfrisisk", {})),
    ("GLE", ("Irish", "irsk", {})),
    ("GLG", ("Galician", "galisisk", {})),
    ("HRV", ("Croatian", "kroatisk", {})),
    ("HUN", ("Hungarian", "ungarsk", {})),
    ("ISL", ("Icelandic", "islandsk", {})),
    ("ITA", ("Italian", "italiensk", {"it": "italiano"})),
    ("KAL", ("Kalaallisut", "grønlandsk", {})),
    ("LAV", ("Latvian", "latvisk", {})),
    ("LIT", ("Lithuanian", "litauisk", {})),
    ("LTZ", ("Luxembourgish", "luxembourgsk", {})),
    ("MLT", ("Maltese", "maltesisk", {})),
    ("MUL", ("multiple languages", "flere språk", {})),
    ("NLD", ("Dutch", "nederlandsk", {"nl": "Nederlands"})),
    ("NNO", ("Norwegian Nynorsk", "norsk nynorsk", {"nn": "norsk nynorsk"})),
    ("NOB", ("Norwegian Bokmål", "norsk bokmål", {})),
    ("NOR", ("Norwegian", "norsk", {})),
    ("POL", ("Polish", "polsk", {})),
    ("POR", ("Portuguese", "portugisisk", {})),
    ("RON", ("Romanian", "rumensk", {})),
    ("RUS", ("Russian", "russisk", {})),
    ("SLK", ("Slovak", "slovakisk", {})),
    ("SLV", ("Slovenian", "slovensk", {})),
    ("SME", ("Northern Sami", "nordsamisk", {})),
    ("SMI", ("Sami languages", "samiske språk", {})),
    ("SPA", ("Spanish", "spansk", {"es": "español"})),
    ("SQI", ("Albanian", "albansk", {})),
    ("SWE", ("Swedish", "svensk", {"sv": "svenska"})),
    ("TUR", ("Turkish", "tyrkisk", {})),
    ("UKR", ("Ukrainian", "ukrainsk", {})),
    ("UND", ("undetermined", "ubestemt", {})),
])

# Legal acts (ELI) used as dcatap:applicableLegislation / dct:source in health catalogues.
LEGISLATION = [
    ("http://data.europa.eu/eli/reg/2025/327/oj", "Regulation (EU) 2025/327 on the European Health Data Space",
     "Forordning (EU) 2025/327 om det europeiske helsedataområdet"),
    ("http://data.europa.eu/eli/reg/2016/679/oj", "Regulation (EU) 2016/679 (General Data Protection Regulation)",
     "Forordning (EU) 2016/679 (personvernforordningen)"),
    ("http://data.europa.eu/eli/reg/2022/868/oj", "Regulation (EU) 2022/868 (Data Governance Act)",
     "Forordning (EU) 2022/868 (datastyringsforordningen)"),
    ("http://data.europa.eu/eli/reg/2023/2854/oj", "Regulation (EU) 2023/2854 (Data Act)",
     "Forordning (EU) 2023/2854 (dataforordningen)"),
    ("http://data.europa.eu/eli/dir/2019/1024/oj", "Directive (EU) 2019/1024 on open data and the re-use of public sector information",
     "Direktiv (EU) 2019/1024 om åpne data og viderebruk av informasjon fra offentlig sektor"),
    ("http://data.europa.eu/eli/reg_impl/2023/138/oj", "Implementing Regulation (EU) 2023/138 on high-value datasets",
     "Gjennomføringsforordning (EU) 2023/138 om datasett med høy verdi"),
    ("http://data.europa.eu/eli/reg/2014/536/oj", "Regulation (EU) No 536/2014 on clinical trials on medicinal products for human use",
     "Forordning (EU) nr. 536/2014 om kliniske utprøvinger av legemidler for mennesker"),
]

# EU dataset-status NAL, as used by the GDI metadata model for adms:status of a dataset.
DATASET_STATUS = [
    ("COMPLETED", "completed", "ferdigstilt"),
    ("DEPRECATED", "deprecated", "frarådet"),
    ("DEVELOP", "under development", "under utvikling"),
    ("DISCONT", "discontinued", "avviklet"),
    ("WITHDRAWN", "withdrawn", "trukket tilbake"),
]


# ---------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------

def write_file_type(ref, out):
    def extra(doc, scheme):
        for code, labels, alt, src in FILE_TYPE_ADDITIONS:
            c = URIRef(EU + "file-type/" + code)
            concept(doc, c, scheme, code, labels, types=[DCT.MediaTypeOrExtent], alt=alt)
            doc.add(c, DCT.source, Literal(src))
    return eu_table(ref, "eu-authority/filetypes-skos.rdf", "file-type", out, "file-type.ttl",
                    types=[DCT.MediaTypeOrExtent], title_en="File type", keep_alt=True, extra=extra,
                    notes="Every concept is also typed dct:MediaTypeOrExtent (the range of dct:format in DCAT-AP).\n"
                          "Added by katalog: PARQUET (in the EU table after the vendored 20221214-0 snapshot).\n"
                          "The EU table has no concept for VCF (Variant Call Format) or FHIR: such data is described\n"
                          "with a generic file type (e.g. GZIP, JSON) plus dcat:mediaType / dct:conformsTo.")


def write_simple_eu(ref, out):
    n = {}
    n["data-theme"] = eu_table(ref, "eu-authority/data-theme-skos.rdf", "data-theme", out, "data-theme.ttl",
                               title_en="Data theme")
    n["access-right"] = eu_table(ref, "eu-authority/access-right.fdk-sparql-result.ttl", "access-right", out,
                                 "access-right.ttl", types=[DCT.RightsStatement], title_en="Access right",
                                 add_nb=ACCESS_RIGHT_NB, langs_note="en (source), nb (katalog translation)",
                                 notes="Every concept is also typed dct:RightsStatement (the range of dct:accessRights).")
    n["frequency"] = eu_table(ref, "eu-authority/frequency.fdk-sparql-result.ttl", "frequency", out,
                              "frequency.ttl", types=[DCT.Frequency], title_en="Frequency",
                              langs_note="en nb nn (source)",
                              notes="Every concept is also typed dct:Frequency (the range of dct:accrualPeriodicity).")
    n["licence"] = eu_table(ref, "eu-authority/licence.fdk-sparql-result.ttl", "licence", out, "licence.ttl",
                            types=[DCT.LicenseDocument], title_en="Licence", langs_note="en (source)",
                            notes="Every concept is also typed dct:LicenseDocument (the range of dct:license).")
    n["country"] = eu_table(ref, "eu-authority/countries-skos.rdf", "country", out, "country.ttl",
                            types=[DCT.Location], title_en="Country",
                            notes="Every concept is also typed dct:Location (the range of dct:spatial).\n"
                                  "Norwegian labels: the EU table tags them `no`; they are Bokmål and written as `nb`.")
    n["dataset-type"] = eu_table(ref, "eu-authority/dataset-type.fdk-sparql-result.ttl", "dataset-type", out,
                                 "dataset-type.ttl", title_en="Dataset type", langs_note="en nb nn (source)")
    n["distribution-status"] = eu_table(ref, "eu-authority/distribution-status.fdk-sparql-result.ttl",
                                        "distribution-status", out, "distribution-status.ttl",
                                        title_en="Distribution status", langs_note="en nb nn (source)")
    n["planned-availability"] = eu_table(ref, "eu-authority/planned-availability.fdk-sparql-result.ttl",
                                         "planned-availability", out, "planned-availability.ttl",
                                         title_en="Planned availability", langs_note="en nb nn (source)")
    return n


def write_dataset_status(out):
    scheme = URIRef(EU + "dataset-status")
    doc = Doc(header("EU authority table <%s> (Dataset status), as used by the GDI metadata model" % scheme,
                     "concept IRIs from the GDI metadata model shapes (gdi/gdi-metadata/shacl/Dataset.ttl, sh:in of adms:status); "
                     "labels written by katalog", "en nb (katalog)"))
    scheme_block(doc, scheme, {"en": "Dataset status"}, source="EU Publications Office, %sdataset-status" % EU)
    for code, en, nb in DATASET_STATUS:
        concept(doc, URIRef(EU + "dataset-status/" + code), scheme, code, {"en": en, "nb": nb},
                katalog_langs=["en", "nb"])
    doc.write(os.path.join(out, "dataset-status.ttl"))
    return len(DATASET_STATUS)


def write_adms(ref, out):
    g = rdflib.Graph().parse(os.path.join(ref, "adms/ADMS_SKOS_v1.00.rdf"))
    doc = Doc(header("ADMS controlled vocabularies: status <http://purl.org/adms/status/1.0> and licence type "
                     "<http://purl.org/adms/licencetype/1.0>",
                     "shared reference vocab/adms/ADMS_SKOS_v1.00.rdf (SEMICeu/dcat-ap_shacl, resources/ADMS_SKOS_v1.00.rdf)",
                     "en (source), nb for status (katalog translation)",
                     licence="ISA/SEMIC ADMS vocabulary (no licence file in the source repository; see vocab/README.md)"))
    n = 0
    for sch, title in (("http://purl.org/adms/status/1.0", "ADMS status"),
                       ("http://purl.org/adms/licencetype/1.0", "ADMS licence type")):
        scheme = URIRef(sch)
        scheme_block(doc, scheme, {"en": title}, source="ADMS 1.00, " + sch)
        for c in sorted(set(g.subjects(SKOS.inScheme, scheme)), key=sort_key):
            labels = pick_labels(g, c)
            kl = []
            if str(c) in ADMS_NB:
                labels["nb"] = ADMS_NB[str(c)]
                kl = ["nb"]
            concept(doc, c, scheme, str(g.value(c, SKOS.notation) or str(c).rsplit("/", 1)[-1]), labels,
                    katalog_langs=kl)
            n += 1
    doc.write(os.path.join(out, "adms.ttl"))
    return n


def write_publisher_type(ref, out):
    g = rdflib.Graph().parse(os.path.join(ref, "adms/ADMS_SKOS_v1.00.rdf"))
    doc = Doc(header("Publisher types: ADMS publisher type <http://purl.org/adms/publishertype/1.0> (DCAT-AP) and the "
                     "HealthDCAT-AP publisher-type NAL <%spublisher-type>" % HDEU,
                     "ADMS: shared reference vocab/adms/ADMS_SKOS_v1.00.rdf; HealthDCAT-AP: "
                     + HDEU_R8_SOURCE % ("publisher-type.rdf", "publisher-type.rdf"),
                     "ADMS: en (source) + nb (katalog translation); HealthDCAT-AP: " + " ".join(LANGS) + " (source)",
                     licence="ADMS: ISA/SEMIC (see vocab/README.md); HealthDCAT-AP: CC BY 4.0 (European Union / DG SANTE)"))
    scheme = URIRef("http://purl.org/adms/publishertype/1.0")
    scheme_block(doc, scheme, {"en": "ADMS publisher type"}, source="ADMS 1.00, http://purl.org/adms/publishertype/1.0")
    n = 0
    for c in sorted(set(g.subjects(SKOS.inScheme, scheme)), key=sort_key):
        labels = pick_labels(g, c)
        kl = []
        if str(c) in ADMS_NB:
            labels["nb"] = ADMS_NB[str(c)]
            kl = ["nb"]
        concept(doc, c, scheme, str(g.value(c, SKOS.notation) or ""), labels, katalog_langs=kl)
        n += 1
    hs = URIRef(HDEU + "publisher-type")
    scheme_block(doc, hs, {"en": "Publisher Types"}, source=HDEU_R8_SOURCE % ("publisher-type.rdf", "publisher-type.rdf"))
    for code, (broader, labels) in HDEU_PUBLISHER_TYPES.items():
        concept(doc, URIRef(HDEU + "publisher-type/" + code), hs, code, labels,
                broader=[HDEU + "publisher-type/" + broader] if broader else [], top=broader is None)
        n += 1
    doc.write(os.path.join(out, "publisher-type.ttl"))
    return n


def write_health(ref, out):
    # health categories: en from the extract, nb by katalog
    src = os.path.join(ref, "health/healthcategories.extract.ttl")
    g = rdflib.Graph().parse(src)
    scheme = URIRef(HDEU + "healthcategories")
    doc = Doc(header("HealthDCAT-AP health categories <%s> (EHDS Article 51 categories)" % scheme,
                     "shared reference vocab/health/healthcategories.extract.ttl (derived from " +
                     HDEU_R8_SOURCE % ("healthcategories.rdf", "healthcategories.rdf") + ")",
                     "en (source), nb (katalog translation)",
                     licence="CC BY 4.0 (European Union / DG SANTE)"))
    scheme_block(doc, scheme, {"en": "Health Categories"}, source="DG SANTE, HealthDCAT-AP release 8")
    n = 0
    for c in sorted(set(g.subjects(SKOS.inScheme, scheme)), key=sort_key):
        code = str(g.value(c, DCT.identifier))
        labels = pick_labels(g, c)
        kl = []
        if code in HEALTH_CATEGORY_NB:
            labels["nb"] = HEALTH_CATEGORY_NB[code]
            labels = OrderedDict((l, labels[l]) for l in LANGS if l in labels)
            kl = ["nb"]
        concept(doc, c, scheme, code, labels, top=(c, SKOS.topConceptOf, scheme) in g, katalog_langs=kl)
        n += 1
    doc.write(os.path.join(out, "health-category.ttl"))
    # health themes: en/nb/nn + definition from the extract
    g = rdflib.Graph().parse(os.path.join(ref, "health/health-theme.extract.ttl"))
    scheme = URIRef(HDEU + "health-theme")
    doc = Doc(header("HealthDCAT-AP health themes <%s>" % scheme,
                     "shared reference vocab/health/health-theme.extract.ttl (derived from " +
                     HDEU_R8_SOURCE % ("health-theme.rdf", "health-theme.rdf") + ")",
                     "en nb nn (source)", licence="CC BY 4.0 (European Union / DG SANTE)"))
    scheme_block(doc, scheme, {"en": "Health Themes"}, source="DG SANTE, HealthDCAT-AP release 8")
    m = 0
    for c in sorted(set(g.subjects(SKOS.inScheme, scheme)), key=sort_key):
        d = g.value(c, SKOS.definition)
        concept(doc, c, scheme, str(g.value(c, DCT.identifier)), pick_labels(g, c),
                top=(c, SKOS.topConceptOf, scheme) in g, definition=str(d) if d else None)
        m += 1
    doc.write(os.path.join(out, "health-theme.ttl"))
    return n, m


def write_coding_and_standards(out):
    scheme = URIRef(HDEU + "coding-system")
    doc = Doc(header("HealthDCAT-AP coding systems <%s>" % scheme,
                     "concept IRIs: " + HDEU_R8_SOURCE % ("coding-system.rdf", "coding-system.rdf") +
                     "; English names: upstream for ATC and ICF, otherwise the systems' usual names (katalog)",
                     "en", licence="CC BY 4.0 (European Union / DG SANTE)",
                     notes="Every concept is also typed dct:Standard (the range of healthdcatap:hasCodingSystem)."))
    scheme_block(doc, scheme, {"en": "Coding Systems"}, source=HDEU_R8_SOURCE % ("coding-system.rdf", "coding-system.rdf"))
    for code, en in HDEU_CODING_SYSTEMS.items():
        concept(doc, URIRef(HDEU + "coding-system/" + code), scheme, code, {"en": en}, types=[DCT.Standard], top=True)
    doc.write(os.path.join(out, "coding-system.ttl"))
    scheme = URIRef(HDEU + "standard")
    doc = Doc(header("HealthDCAT-AP standards <%s>" % scheme,
                     HDEU_R8_SOURCE % ("standard.rdf", "standard.rdf"), "en (source)",
                     licence="CC BY 4.0 (European Union / DG SANTE)",
                     notes="As upstream, the leaf concepts are typed dct:Standard, the five grouping concepts are not."))
    scheme_block(doc, scheme, {"en": "Standards"}, source=HDEU_R8_SOURCE % ("standard.rdf", "standard.rdf"))
    for code, (broader, en) in HDEU_STANDARDS.items():
        concept(doc, URIRef(HDEU + "standard/" + code), scheme, code, {"en": en},
                types=[DCT.Standard] if broader else [],
                broader=[HDEU + "standard/" + broader] if broader else [], top=broader is None)
    doc.write(os.path.join(out, "standard.ttl"))
    return len(HDEU_CODING_SYSTEMS), len(HDEU_STANDARDS)


def write_language(out):
    scheme = URIRef(EU + "language")
    doc = Doc(header("EU authority table <%s> (Language) - the languages health catalogues use" % scheme,
                     "authority codes of the EU language table (EU Publications Office); names written by katalog "
                     "(the table itself is not part of the reference material)",
                     "en nb (katalog) + the language's own name for sv da fi nl de fr es it et nn",
                     notes="Every concept is also typed dct:LinguisticSystem (the range of dct:language)."))
    scheme_block(doc, scheme, {"en": "Language"}, source="EU Publications Office, %slanguage" % EU)
    for code, (en, nb, own) in LANGUAGES.items():
        labels = OrderedDict([("en", en), ("nb", nb)])
        labels.update(own)
        labels = OrderedDict((l, labels[l]) for l in LANGS if l in labels)
        concept(doc, URIRef(EU + "language/" + code), scheme, code, labels, types=[DCT.LinguisticSystem],
                katalog_langs=list(labels.keys()))
    doc.write(os.path.join(out, "language.ttl"))
    return len(LANGUAGES)


def write_media_types(ref, out):
    g = rdflib.Graph().parse(os.path.join(ref, "iana/media-types.fdk.ttl"))
    doc = Doc(header("IANA media types <%s...> as dct:MediaType resources" % IANA,
                     "shared reference vocab/iana/media-types.fdk.ttl (Informasjonsforvaltning/fdk-reference-data, "
                     "src/test/resources/media-types.ttl), plus additions listed below",
                     "none (media types are identified by their type/subtype)",
                     licence="IANA registry facts; FDK file Apache-2.0",
                     notes="Every media type is typed dct:MediaType and dct:MediaTypeOrExtent (the ranges of dcat:mediaType\n"
                           "and dct:format).  Added by katalog: application/vnd.apache.parquet (registered 2024) and common text/,\n"
                           "image/, audio/, video/, model/ and multipart/ types (the FDK snapshot lists application/* only)."))
    items = {}
    for s in g.subjects(RDF.type, DCT.MediaType):
        ident = g.value(s, DCT.identifier)
        items[str(s)] = (str(ident) if ident else str(s)[len(IANA):], None)
    for mt, src in MEDIA_TYPE_ADDITIONS:
        items.setdefault(IANA + mt, (mt, src))
    for iri in sorted(items):
        ident, src = items[iri]
        doc.add(iri, RDF.type, DCT.MediaType)
        doc.add(iri, RDF.type, DCT.MediaTypeOrExtent)
        doc.add(iri, DCT.identifier, Literal(ident))
        if src:
            doc.add(iri, DCT.source, Literal(src))
    doc.write(os.path.join(out, "media-type.ttl"))
    return len(items)


def write_legislation(out):
    doc = Doc(header("Legal acts (ELI) used as dcatap:applicableLegislation in health catalogues",
                     "EUR-Lex ELI identifiers; titles written by katalog", "en nb (katalog)",
                     licence="EUR-Lex reuse policy (Commission Decision 2011/833/EU); katalog text CC BY 4.0",
                     notes="Typed eli:LegalResource (the range of dcatap:applicableLegislation in DCAT-AP 3)."))
    for iri, en, nb in LEGISLATION:
        doc.add(iri, RDF.type, URIRef("http://data.europa.eu/eli/ontology#LegalResource"))
        doc.add(iri, DCT.title, Literal(en, lang="en"))
        doc.add(iri, DCT.title, Literal(nb, lang="nb"))
        doc.add(iri, DCT.source, Literal(KATALOG_TRANSLATION + " (en, nb)"))
    doc.write(os.path.join(out, "legislation.ttl"))
    return len(LEGISLATION)


def write_classes(out):
    V = "http://www.w3.org/2006/vcard/ns#"
    F = "http://xmlns.com/foaf/0.1/"
    doc = Doc(header("Class declarations that SHACL sh:class checks need in the data graph",
                     "rdfs:subClassOf axioms of the vCard (W3C), FOAF, W3C ORG, CPOV and DCMI Terms vocabularies",
                     "en",
                     licence="W3C / DCMI / SEMIC vocabularies (facts)",
                     notes="SHACL's sh:class and sh:targetClass follow rdfs:subClassOf in the data graph only, so the\n"
                           "few subclass axioms the DCAT-AP ranges rely on are restated here.  Deliberately NOT\n"
                           "declared: dcat:Catalog and dcat:DatasetSeries as subclasses of dcat:Dataset (DCAT 3 has\n"
                           "them), because every dcat:Dataset shape would then also target catalogues and series;\n"
                           "see shapes/README.md."))
    axioms = [
        (V + "Organization", V + "Kind", "vCard organisation"),
        (V + "Individual", V + "Kind", "vCard individual"),
        (V + "Group", V + "Kind", "vCard group"),
        (V + "Location", V + "Kind", "vCard location"),
        (F + "Organization", F + "Agent", "FOAF organisation"),
        (F + "Person", F + "Agent", "FOAF person"),
        (F + "Group", F + "Agent", "FOAF group"),
        ("http://www.w3.org/ns/org#Organization", F + "Agent", "W3C ORG organisation"),
        ("http://www.w3.org/ns/org#FormalOrganization", "http://www.w3.org/ns/org#Organization", "W3C ORG formal organisation"),
        ("http://data.europa.eu/m8g/PublicOrganisation", "http://www.w3.org/ns/org#Organization", "CPOV public organisation"),
        (str(DCT.MediaType), str(DCT.MediaTypeOrExtent), "DCMI media type"),
    ]
    for sub, sup, label in axioms:
        doc.add(sub, RDF.type, RDFS.Class)
        doc.add(sub, RDFS.subClassOf, URIRef(sup))
        doc.add(sub, RDFS.label, Literal(label, lang="en"))
    doc.write(os.path.join(out, "classes.ttl"))
    return len(axioms)


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    ref = argv[1]
    out = argv[2] if len(argv) > 2 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    os.makedirs(out, exist_ok=True)
    counts = write_simple_eu(ref, out)
    counts["file-type"] = write_file_type(ref, out)
    counts["dataset-status"] = write_dataset_status(out)
    counts["adms"] = write_adms(ref, out)
    counts["publisher-type"] = write_publisher_type(ref, out)
    counts["health-category"], counts["health-theme"] = write_health(ref, out)
    counts["coding-system"], counts["standard"] = write_coding_and_standards(out)
    counts["language"] = write_language(out)
    counts["media-type"] = write_media_types(ref, out)
    counts["legislation"] = write_legislation(out)
    counts["classes"] = write_classes(out)
    for k in sorted(counts):
        print("%-22s %d" % (k, counts[k]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
