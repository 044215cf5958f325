#!/usr/bin/env python3
"""Compare katalog's SHACL profiles with the official shape files, record by record.

For every profile in shapes/<name>/profile.toml and every catalogue given, this script

  1. builds the data graph: the catalogue + the profile's background files from vocab/
     (+ the generator's background.ttl for generated catalogues),
  2. validates it with katalog's profile (the union of the profile's `files`) and with the
     OFFICIAL shape files of the same specification, using pySHACL as an independent engine,
  3. splits the results into records - every dcat:Dataset, dcat:DatasetSeries, dcat:Catalog and
     dcat:DataService with the non-record resources it reaches (distributions, agents, contact
     points, periods, ...), as katalog splits a harvested document - and
  4. compares the per-record verdict (conforms = no sh:Violation; warnings do not count).

Every disagreement must be explained by one of the documented exceptions (EXCEPTIONS below,
described in shapes/README.md): a result of the official run that comes from a defect of the
official files, or a result of katalog's run that the official files miss because of such a
defect.  An unexplained disagreement makes the script exit with status 1.

With --generated DIR (a gen_catalogue.py output directory) it also checks that the datasets the
dcat-ap-3 profile rejects are exactly those listed in DIR/defects.tsv, minus `duplicate_identifier`
(a cross-record harvester check, not SHACL).

Usage:
  python3 shapes/check_profiles.py --reference /work/shared/reference \\
      --fixtures fixtures --generated /tmp/gen20 [--profile dcat-ap-3 ...] [--json out.json] [--flagged]

Dependencies: Python 3.11+ (tomllib), rdflib, pyshacl.
"""

import argparse
import collections
import glob
import json
import logging
import os
import sys
import time
import tomllib

import pyshacl
import rdflib
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF

SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
DCT = rdflib.Namespace("http://purl.org/dc/terms/")
AR = "http://publications.europa.eu/resource/authority/access-right/"

HERE = os.path.dirname(os.path.abspath(__file__))
# rdflib logs every ill-formed typed literal (e.g. "2021-13-01"^^xsd:date) with a traceback; the
# validators report them, so keep the log quiet.
logging.getLogger("rdflib.term").setLevel(logging.CRITICAL)
RECORD_CLASSES = (DCAT.Dataset, DCAT.DatasetSeries, DCAT.Catalog, DCAT.DataService)

# ---------------------------------------------------------------------------
# The official shape files, as the official validators combine them
# (paths relative to the reference directory).
# ---------------------------------------------------------------------------

H8 = "healthdcat-ap/release-8/validator/"
HDCAT_COMMON = [
    # the HealthDCAT-AP validator owl:imports the DCAT-AP 3.0.0 shapes, ranges and recommendations
    "dcat-ap/3.0.0/html/shacl/shapes.ttl",
    "dcat-ap/3.0.0/html/shacl/range.ttl",
    "dcat-ap/3.0.0/html/shacl/shapes_recommended.ttl",
    H8 + "shapes/graph-guard.ttl",
    H8 + "ranges/range.ttl",
    H8 + "controlled-vocabularies/mdr-vocabularies.shape.ttl",
]
OFFICIAL = {
    "dcat-ap-3": {
        "sets": {"ALL": ["dcat-ap/3.0.1/html/shacl/shapes.ttl", "dcat-ap/3.0.1/html/shacl/range.ttl"]},
    },
    "healthdcat-ap": {
        # validator.shaclFile.<type> of the HealthData@EU validator's config.properties: one
        # validation type per access level; a dataset is judged by the type of its dct:accessRights.
        "sets": {
            "PUBLIC": HDCAT_COMMON + [H8 + "shapes/public-shapes.ttl", H8 + "recommended/public-shapes_recommended.ttl"],
            "RESTRICTED": HDCAT_COMMON + [H8 + "shapes/restricted-shapes.ttl", H8 + "recommended/restricted-shapes_recommended.ttl"],
            "NON_PUBLIC": HDCAT_COMMON + [H8 + "shapes/non-public-shapes.ttl", H8 + "recommended/non-public-shapes_recommended.ttl"],
        },
        "by_access_rights": True,
    },
    "dcat-ap-no": {
        "sets": {"ALL": ["dcat-ap-no/shacl/DCAT-AP-NO-shacl_shapes_2.00.ttl"]},
    },
    "gdi": {
        "sets": {"ALL": ["gdi/gdi-metadata/shacl/" + f for f in (
            "Resource.ttl", "Catalog.ttl", "Dataset.ttl", "Distribution.ttl", "DataService.ttl",
            "AgentCreator.ttl", "AgentHdab.ttl", "Kind.ttl", "Identifier.ttl")]},
        # upstream Identifier.ttl uses foaf: without declaring it (it does not parse); we add the
        # missing prefix declaration and nothing else.
        "patch": {"gdi/gdi-metadata/shacl/Identifier.ttl": "@prefix foaf: <http://xmlns.com/foaf/0.1/> .\n"},
    },
}
OFFICIAL["healthdcat-ap"]["repair_pathless_property_shapes"] = True

# ---------------------------------------------------------------------------
# Documented exceptions (see shapes/README.md, "Differences from the official files").
# side "official": a Violation of the official run that katalog deliberately does not report;
# side "katalog":  a Violation of katalog's run that the official files miss because of a defect.
# Each matcher gets a result dict (focus, path, component, source, value, message, datatype).
# ---------------------------------------------------------------------------

def _path_is(*paths):
    full = set()
    for p in paths:
        full.add(p)
    return lambda r: r["path"] in full


def _and(*fs):
    return lambda r: all(f(r) for f in fs)


def _comp(name):
    return lambda r: r["component"] == str(SH) + name + "ConstraintComponent"


def _value_is_iri(r):
    return r["value_kind"] == "IRI"


def _src_contains(text):
    return lambda r: text in r["source"]


P_DCT = str(DCT)
P_DCAT = str(DCAT)
P_FOAF = "http://xmlns.com/foaf/0.1/"
P_HDCAT = "http://healthdataportal.eu/ns/health#"
P_DCATAP = "http://data.europa.eu/r5r/"

EXCEPTIONS = [
    {
        "id": "E1-date-sh-shape",
        "side": "katalog",
        "profiles": ["dcat-ap-3", "healthdcat-ap"],
        "reason": "The official DCAT-AP 3 shapes.ttl attaches the date check of Dataset dct:issued/dct:modified, "
                  "CatalogRecord dct:modified and PeriodOfTime dcat:startDate/dcat:endDate with `sh:shape`, which is "
                  "not a SHACL term, so conformant engines never check those datatypes. katalog checks them "
                  "(xsd:date, xsd:dateTime, xsd:gYear or xsd:gYearMonth) and therefore reports plain-string or "
                  "ill-formed dates such as \"16.05.2016\" or \"2021-13-01\"^^xsd:date.",
        "match": _and(_path_is(P_DCT + "issued", P_DCT + "modified", P_DCAT + "startDate", P_DCAT + "endDate"),
                      lambda r: r["source"].endswith("-datatype")),
    },
    {
        "id": "E2-web-resource-class",
        "side": "official",
        "profiles": ["dcat-ap-3", "healthdcat-ap"],
        "reason": "range.ttl requires an explicit rdf:type for web resources: foaf:Document for landing pages, "
                  "documentation and homepages, dct:Standard for dct:conformsTo, eli:LegalResource for "
                  "dcatap:applicableLegislation. DCAT and DCAT-AP declare these as the rdfs:range of the properties, "
                  "so an IRI value is such a resource by RDFS entailment; harvested catalogues (and the DCAT-AP "
                  "examples) do not state the type. katalog accepts an IRI and requires the type only on blank nodes.",
        "match": _and(_comp("Class"), _value_is_iri,
                      lambda r: r["path"] in (P_DCAT + "landingPage", P_FOAF + "page", P_FOAF + "homepage",
                                              P_DCT + "conformsTo", P_DCATAP + "applicableLegislation")),
    },
    {
        "id": "E3-series-in-catalogue",
        "side": "official",
        "profiles": ["dcat-ap-3", "healthdcat-ap"],
        "reason": "range.ttl requires every dcat:dataset of a catalogue to be typed dcat:Dataset. A catalogue may "
                  "list a dcat:DatasetSeries (a subclass of dcat:Dataset in DCAT 3, not restated in the data); "
                  "katalog accepts dcat:Dataset or dcat:DatasetSeries, as DCAT-AP-NO does.",
        "match": _and(_comp("Class"), _path_is(P_DCAT + "dataset")),
    },
    {
        "id": "E4-bytesize-decimal-3.0.0",
        "side": "official",
        "profiles": ["healthdcat-ap"],
        "reason": "The HealthDCAT-AP release 8 validator imports the DCAT-AP 3.0.0 shapes.ttl, which types "
                  "dcat:byteSize as xsd:decimal; DCAT-AP 3.0.1 corrected it to xsd:nonNegativeInteger, as the "
                  "HealthDCAT-AP specification and its own examples use.",
        "match": _and(_comp("Datatype"), _path_is(P_DCAT + "byteSize")),
    },
    {
        "id": "E6-health-activity-not-shipped",
        "side": "official",
        "profiles": ["healthdcat-ap"],
        "reason": "The release-8 check of prov:wasGeneratedBy needs the HealthDCAT-AP health-activity NAL in the data "
                  "graph (skos:inScheme); that NAL is not part of the reference material and katalog does not ship it. "
                  "katalog checks instead that the activity's dct:type is an IRI in the health-activity namespace.",
        "match": _and(_comp("Node"), _path_is("http://www.w3.org/ns/prov#wasGeneratedBy")),
    },
    {
        "id": "E7-gdi-health-category-nal",
        "side": "official",
        "profiles": ["gdi"],
        "reason": "GDI Dataset.ttl only allows three placeholder IRIs in its own namespace for the health category "
                  "(gdi:HealthCategoryHumanGenetic, ...Epigenomic, ...Genomic), while its choicelist names five EHDS "
                  "categories. katalog also accepts the HealthDCAT-AP NAL IRIs of those five categories (HGPD, HPML, "
                  "PHDR, RQSH, EINS).",
        "match": _and(_comp("In"), _path_is(P_HDCAT + "healthCategory"),
                      lambda r: str(r["value"]).rsplit("/", 1)[-1] in ("HGPD", "HPML", "PHDR", "RQSH", "EINS")
                      and str(r["value"]).startswith("https://hdeu-dcat.data.health.europa.eu/resource/authority/healthcategories/")),
    },
    {
        "id": "E5-gdi-dataset-type-https",
        "side": "official",
        "profiles": ["gdi"],
        "reason": "GDI Dataset.ttl declares the dataset-type prefix as https://publications.europa.eu/..., so its "
                  "sh:in (SYNTHETIC_DATA) never matches the real EU IRI http://publications.europa.eu/resource/"
                  "authority/dataset-type/SYNTHETIC_DATA. katalog uses the http IRI.",
        "match": _and(_comp("In"), _path_is(P_DCT + "type")),
    },
]


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------

def parse_into(g, path, text=None):
    ext = path.rsplit(".", 1)[-1].lower()
    fmt = {"ttl": "turtle", "rdf": "xml", "owl": "xml", "xml": "xml", "jsonld": "json-ld", "json": "json-ld",
           "nt": "nt", "nq": "nquads", "trig": "trig"}[ext]
    if fmt in ("trig", "nquads"):
        ds = rdflib.Dataset()
        ds.parse(path, format=fmt)
        for s, p, o, _c in ds.quads((None, None, None, None)):
            g.add((s, p, o))
    elif text is not None:
        g.parse(data=text, format=fmt, publicID=path)
    else:
        g.parse(path, format=fmt)
    return g


def load_profile(shapes_dir, name):
    with open(os.path.join(shapes_dir, name, "profile.toml"), "rb") as f:
        prof = tomllib.load(f)
    sg = rdflib.Graph()
    for rel in prof["files"]:
        parse_into(sg, os.path.join(shapes_dir, rel))
    return prof, sg


def load_official(ref, name):
    conf = OFFICIAL[name]
    patches = conf.get("patch", {})
    sets = {}
    for key, files in conf["sets"].items():
        g = rdflib.Graph()
        for rel in files:
            path = os.path.join(ref, rel)
            if rel in patches:
                with open(path, encoding="utf-8") as f:
                    parse_into(g, path, text=patches[rel] + f.read())
            else:
                parse_into(g, path)
        if conf.get("repair_pathless_property_shapes"):
            repair_pathless_property_shapes(g)
        sets[key] = g
    return sets


def repair_pathless_property_shapes(g):
    """The release-8 Dataset_Shape has a sh:property without sh:path (the hasStructuredData ->
    hasVariables rule, an sh:or): ill-formed SHACL that pySHACL refuses.  Its evident intent is a
    node-level constraint, so it is turned into a node shape with the parent's targets."""
    for parent, ps in list(g.subject_objects(SH.property)):
        if g.value(ps, SH.path) is not None:
            continue
        g.remove((parent, SH.property, ps))
        g.add((ps, RDF.type, SH.NodeShape))
        for tp in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf):
            for t in g.objects(parent, tp):
                g.add((ps, tp, t))


def load_background(vocab_dir, files):
    g = rdflib.Graph()
    for rel in files:
        parse_into(g, os.path.join(vocab_dir, rel))
    return g


# ---------------------------------------------------------------------------
# Records and verdicts
# ---------------------------------------------------------------------------

def records(data):
    recs = set()
    for cls in RECORD_CLASSES:
        recs.update(data.subjects(RDF.type, cls))
    return recs


def closure(data, rec, recs):
    seen = {rec}
    todo = [rec]
    while todo:
        n = todo.pop()
        for o in data.objects(n, None):
            if isinstance(o, Literal) or o in seen or o in recs:
                continue
            seen.add(o)
            todo.append(o)
    return seen


def record_label(data, rec):
    """IRI of a record; a blank-node record is named by its dct:identifier or English title."""
    if not isinstance(rec, BNode):
        return str(rec)
    ident = data.value(rec, DCT.identifier)
    if ident is not None:
        return "_:[dct:identifier %s]" % ident
    titles = sorted(data.objects(rec, DCT.title), key=lambda t: (getattr(t, "language", None) != "en", str(t)))
    return "_:[dct:title %s]" % (titles[0] if titles else "?")


def kind_of(v):
    if v is None:
        return None
    if isinstance(v, Literal):
        return "Literal"
    if isinstance(v, BNode):
        return "BNode"
    return "IRI"


def run(data, shapes):
    conforms, rg, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none", allow_warnings=True,
                                       advanced=False, abort_on_first=False, inplace=False)
    def result(r, depth=0):
        v = rg.value(r, SH.value)
        path = rg.value(r, SH.resultPath)
        src = rg.value(r, SH.sourceShape)
        return {
            "focus": rg.value(r, SH.focusNode),
            "path": str(path) if isinstance(path, URIRef) else ("complex" if path is not None else None),
            "severity": str(rg.value(r, SH.resultSeverity)).rsplit("#", 1)[-1],
            "component": str(rg.value(r, SH.sourceConstraintComponent)),
            "source": str(src) if isinstance(src, URIRef) else "(blank)",
            "value": v,
            "value_kind": kind_of(v),
            "message": str(rg.value(r, SH.resultMessage) or ""),
            # nested results (sh:detail) of sh:node and similar shape-based constraints
            "details": [result(d, depth + 1) for d in rg.objects(r, SH.detail)] if depth < 5 else [],
        }
    # top-level results only; nested ones are kept as "details"
    tops = [r for rep in rg.subjects(RDF.type, SH.ValidationReport) for r in rg.objects(rep, SH.result)]
    return [result(r) for r in tops]


def attribute(results, closures):
    """record -> list of Violation results whose focus node belongs to the record."""
    owner = collections.defaultdict(set)
    for rec, nodes in closures.items():
        for n in nodes:
            owner[n].add(rec)
    per = collections.defaultdict(list)
    unattributed = []
    for r in results:
        if r["severity"] != "Violation":
            continue
        recs = owner.get(r["focus"])
        if not recs:
            unattributed.append(r)
            continue
        for rec in recs:
            per[rec].append(r)
    return per, unattributed


def exception_ids(result, side, profile):
    """Ids of the documented exceptions that account for this result.  A result of a shape-based
    constraint (sh:node, sh:or, ...) is accounted for when all its nested results (sh:detail) are."""
    ids = [e["id"] for e in EXCEPTIONS if e["side"] == side and profile in e["profiles"] and e["match"](result)]
    if ids or not result.get("details"):
        return ids
    nested = [exception_ids(d, side, profile) for d in result["details"]]
    if all(nested):
        return sorted({i for n in nested for i in n})
    return []


def access_level(data, rec):
    for o in data.objects(rec, DCT.accessRights):
        s = str(o)
        if s.startswith(AR):
            return s[len(AR):]
    return None


# ---------------------------------------------------------------------------

def short(t):
    return str(t)


def check_catalogue(label, data, extra_bg, profile, prof, sg, official_sets, bg):
    dg = rdflib.Graph()
    for t in data:
        dg.add(t)
    for t in bg:
        dg.add(t)
    if extra_bg is not None:
        for t in extra_bg:
            dg.add(t)
    recs = records(data)
    closures = {r: closure(data, r, recs) for r in recs}
    ours, ours_un = attribute(run(dg, sg), closures)
    off_per_set = {}
    off_un = []
    for key, g in official_sets.items():
        per, un = attribute(run(dg, g), closures)
        off_per_set[key] = per
        off_un += un
    by_ar = OFFICIAL[profile].get("by_access_rights")
    rows = []
    for rec in sorted(recs, key=str):
        if by_ar:
            lvl = access_level(data, rec) if (rec, RDF.type, DCAT.Dataset) in data else None
            key = lvl if lvl in official_sets else "PUBLIC"
        else:
            key = "ALL"
        off = off_per_set[key].get(rec, [])
        our = ours.get(rec, [])
        row = {"catalogue": label, "record": record_label(data, rec),
               "type": "Dataset" if (rec, RDF.type, DCAT.Dataset) in data else
                       [c.rsplit("#", 1)[-1] for c in map(str, data.objects(rec, RDF.type)) if c.startswith(str(DCAT))][0],
               "ours": not our, "official": not off, "official_set": key,
               "our_shapes": sorted({r["source"] for r in our}),
               "our_messages": sorted({r["message"] for r in our}),
               "official_components": sorted({(r["path"] or "", r["component"].rsplit("#", 1)[-1]) for r in off})}
        # Normalised verdicts: drop the results that a documented exception accounts for.
        off_n = [r for r in off if not exception_ids(r, "official", profile)]
        our_n = [r for r in our if not exception_ids(r, "katalog", profile)]
        row["ours_normalised"] = not our_n
        row["official_normalised"] = not off_n
        row["agree"] = row["ours"] == row["official"]
        exp = set()
        for r in off:
            exp.update(exception_ids(r, "official", profile))
        for r in our:
            exp.update(exception_ids(r, "katalog", profile))
        row["exceptions"] = sorted(exp)
        # a disagreement (raw or normalised) is explained when the normalised verdicts agree
        row["explained"] = row["ours_normalised"] == row["official_normalised"]
        rows.append(row)
    return rows, [r for r in ours_un], off_un


def fixtures_list(d):
    out = []
    for sub in sorted(os.listdir(d)):
        for f in sorted(glob.glob(os.path.join(d, sub, "catalogue.*"))):
            out.append((sub.upper(), f))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reference", required=True, help="the shared reference directory (holds dcat-ap/, healthdcat-ap/, ...)")
    ap.add_argument("--shapes", default=HERE, help="katalog's shapes/ directory (default: this script's directory)")
    ap.add_argument("--vocab", default=os.path.join(os.path.dirname(HERE), "vocab"), help="katalog's vocab/ directory")
    ap.add_argument("--fixtures", help="directory with <cc>/catalogue.* files (katalog's fixtures/)")
    ap.add_argument("--generated", help="gen_catalogue.py output directory (<CC>/catalogue.ttl, background.ttl, defects.tsv)")
    ap.add_argument("--data", action="append", default=[], help="any other RDF file to compare on (repeatable)")
    ap.add_argument("--profile", action="append", help="profile name(s); default: all with a profile.toml")
    ap.add_argument("--json", help="write every record's verdicts to this JSON file")
    ap.add_argument("--flagged", action="store_true", help="list the records katalog's profiles reject, with the shapes")
    ap.add_argument("--tsv", help="write katalog's verdict for every fixture record as TSV (profile, catalogue, record, "
                                  "type, verdict, violated shapes) - the expectations for katalog's own tests")
    a = ap.parse_args()

    profiles = a.profile or sorted(d for d in os.listdir(a.shapes) if os.path.exists(os.path.join(a.shapes, d, "profile.toml")))
    datasets = []
    if a.fixtures:
        for cc, f in fixtures_list(a.fixtures):
            datasets.append(("fixtures", cc, parse_into(rdflib.Graph(), f), None))
    gen_bg = None
    if a.generated:
        gen_bg = parse_into(rdflib.Graph(), os.path.join(a.generated, "background.ttl"))
        for f in sorted(glob.glob(os.path.join(a.generated, "*", "catalogue.ttl"))):
            cc = os.path.basename(os.path.dirname(f))
            datasets.append(("generated", cc, parse_into(rdflib.Graph(), f), gen_bg))
    for f in a.data:
        datasets.append(("data", os.path.basename(f), parse_into(rdflib.Graph(), f), None))
    if not datasets:
        ap.error("give --fixtures, --generated and/or --data")

    all_rows = []
    status = 0
    for profile in profiles:
        t0 = time.time()
        prof, sg = load_profile(a.shapes, profile)
        bg = load_background(a.vocab, prof.get("background", []))
        official = load_official(a.reference, profile)
        rows = []
        unattr = collections.Counter()
        for group, cc, data, extra in datasets:
            r, ou, fu = check_catalogue("%s/%s" % (group, cc), data, extra, profile, prof, sg, official, bg)
            for x in r:
                x["group"] = group
                x["profile"] = profile
            rows += r
            for u in ou:
                unattr[("katalog", u["source"], u["message"])] += 1
            for u in fu:
                unattr[("official", u["source"], u["component"])] += 1
        all_rows += rows
        print("== profile %s (%s)  [%.0f s]" % (profile, prof.get("title"), time.time() - t0))
        for group in ("fixtures", "generated", "data"):
            g = [x for x in rows if x["group"] == group]
            if not g:
                continue
            agree = sum(1 for x in g if x["agree"])
            dis = [x for x in g if not x["agree"]]
            unexpl = [x for x in g if not x["explained"]]
            nagree = sum(1 for x in g if x["ours_normalised"] == x["official_normalised"])
            ds = [x for x in g if x["type"] == "Dataset"]
            print("   %-9s records %4d (datasets %4d): katalog rejects %d, official rejects %d; raw agree %d, "
                  "disagree %d; after the documented exceptions agree %d, UNEXPLAINED %d" % (
                      group, len(g), len(ds), sum(1 for x in g if not x["ours"]),
                      sum(1 for x in g if not x["official"]), agree, len(dis), nagree, len(unexpl)))
            byexp = collections.Counter()
            for x in g:
                if x["agree"] and not x["exceptions"]:
                    continue
                if x["agree"]:
                    side = "both reject/accept, exception involved"
                else:
                    side = "official rejects, katalog accepts" if x["ours"] else "katalog rejects, official accepts"
                byexp[(side, ", ".join(x["exceptions"]) or "-")] += 1
            for (side, ex), n in sorted(byexp.items()):
                print("      %3d x %s: %s" % (n, side, ex))
            for x in g:
                if not x["agree"] or x["exceptions"]:
                    print("         %s %s %s: katalog %s, official %s -> %s" % (
                        "DISAGREE" if not x["agree"] else "agree   ", x["catalogue"], x["record"],
                        "accepts" if x["ours"] else "rejects", "accepts" if x["official"] else "rejects",
                        ", ".join(x["exceptions"]) or "-"))
            for x in unexpl:
                status = 1
                print("      UNEXPLAINED %s %s ours=%s official=%s (set %s)" % (x["catalogue"], x["record"], x["ours"], x["official"], x["official_set"]))
                print("         katalog:  %s" % x["our_shapes"])
                print("         official: %s" % x["official_components"])
        for (side, src, what), n in sorted(unattr.items()):
            print("   note: %d %s Violation(s) on nodes outside every record: %s %s" % (n, side, src, what))
        if a.flagged:
            for x in rows:
                if x["group"] == "fixtures" and not x["ours"]:
                    print("   flagged %-12s %s\n            %s" % (x["catalogue"], x["record"], "\n            ".join(x["our_shapes"])))

    if a.generated and "dcat-ap-3" in profiles:
        expected = set()
        with open(os.path.join(a.generated, "defects.tsv"), encoding="utf-8") as f:
            next(f)
            for line in f:
                cat, ds, defect = line.rstrip("\n").split("\t")
                if defect != "duplicate_identifier":
                    expected.add(ds)
        got = {x["record"] for x in all_rows if x["profile"] == "dcat-ap-3" and x["group"] == "generated"
               and x["type"] == "Dataset" and not x["ours"]}
        other = {x["record"] for x in all_rows if x["profile"] == "dcat-ap-3" and x["group"] == "generated"
                 and x["type"] != "Dataset" and not x["ours"]}
        ok = got == expected and not other
        print("== generated data, dcat-ap-3: katalog rejects %d datasets, defects.tsv lists %d (without duplicate_identifier): %s"
              % (len(got), len(expected), "MATCH" if ok else "MISMATCH"))
        if not ok:
            status = 1
            for d in sorted(got - expected):
                print("   rejected but not a listed defect: %s" % d)
            for d in sorted(expected - got):
                print("   listed defect not rejected: %s" % d)
            for d in sorted(other):
                print("   non-dataset record rejected: %s" % d)

    if a.tsv:
        with open(a.tsv, "w", encoding="utf-8") as f:
            f.write("profile\tcatalogue\trecord\ttype\tverdict\tviolated_shapes\n")
            for x in sorted(all_rows, key=lambda x: (x["profile"], x["catalogue"], x["record"])):
                if x["group"] != "fixtures":
                    continue
                f.write("%s\t%s\t%s\t%s\t%s\t%s\n" % (
                    x["profile"], x["catalogue"].split("/", 1)[-1], x["record"], x["type"],
                    "conforms" if x["ours"] else "violates",
                    " ".join(sorted(sh.rsplit("#", 1)[-1] for sh in x["our_shapes"]))))
    if a.json:
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump([{k: v for k, v in x.items()} for x in all_rows], f, indent=1, default=str)
    return status


if __name__ == "__main__":
    sys.exit(main())
