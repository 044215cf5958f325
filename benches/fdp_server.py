#!/usr/bin/env python3
"""A generated FAIR Data Point over loopback HTTP, for benches/harvest_fdp.sh.

   fdp_server.py PORT DATASETS

Serves the root (fdp-o:metadataCatalog -> /catalog/c1), one catalogue
listing DATASETS datasets (dcat:dataset), each dataset document with its
distribution as another document, as an FDP does. Documents are made on
request: nothing is written to disk."""
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIXES = """@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix fdp: <https://w3id.org/fdp/fdp-o#> .
"""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        base = f"http://{self.headers.get('Host')}"
        path = self.path.split("?")[0]
        count = self.server.datasets
        if path == "/":
            body = (
                f"{PREFIXES}<{base}/> a fdp:FAIRDataPoint , fdp:MetadataService ; dct:title \"Generated FDP\" ;\n"
                f"  fdp:metadataCatalog <{base}/catalog/c1> .\n"
            )
        elif path == "/catalog/c1":
            links = " , ".join(f"<{base}/dataset/d{i}>" for i in range(count))
            body = (
                f"{PREFIXES}<{base}/org> a foaf:Agent ; foaf:name \"Generated institute\" .\n"
                f"<{base}/catalog/c1> a dcat:Catalog ; dct:title \"Generated catalogue\"@en ;\n"
                f"  dct:description \"Every generated dataset\"@en ; dct:publisher <{base}/org> ;\n"
                f"  dcat:dataset {links} .\n"
            )
        elif path.startswith("/dataset/d"):
            d = path[len("/dataset/"):]
            body = (
                f"{PREFIXES}<{base}/dataset/{d}> a dcat:Dataset ;\n"
                f"  dct:title \"Generated dataset {d}\"@en ;\n"
                f"  dct:description \"A generated cohort dataset {d} with a description of some length, "
                f"as registries write them: population, design, variables and access conditions.\"@en ;\n"
                f"  dct:identifier \"{d}\" ; dcat:keyword \"cohort\"@en , \"genomics\"@en , \"{d}\"@en ;\n"
                f"  dct:issued \"2023-01-01\"^^xsd:date ; dct:modified \"2024-01-01\"^^xsd:date ;\n"
                f"  dct:publisher <{base}/org> ; dct:isPartOf <{base}/catalog/c1> ;\n"
                f"  dcat:contactPoint [ a vcard:Kind ; vcard:fn \"Data access desk\" ; vcard:hasEmail <mailto:desk@example.org> ] ;\n"
                f"  dcat:distribution <{base}/distribution/{d}x> .\n"
            )
        elif path.startswith("/distribution/"):
            x = path[len("/distribution/"):]
            body = (
                f"{PREFIXES}<{base}/distribution/{x}> a dcat:Distribution ; dct:title \"Files of {x}\"@en ;\n"
                f"  dcat:accessURL <https://files.example.org/{x}> ; dcat:mediaType <https://www.iana.org/assignments/media-types/text/csv> .\n"
            )
        else:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/turtle")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def main():
    port, datasets = int(sys.argv[1]), int(sys.argv[2])
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.datasets = datasets
    server.serve_forever()


if __name__ == "__main__":
    main()
