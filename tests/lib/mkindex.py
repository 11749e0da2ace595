#!/usr/bin/env python3
"""mkindex.py DIR REF ARCH...: turn the one image of an OCI layout made by
mkimage.sh into a multi-platform image: a config and manifest per ARCH
(the same layers, "architecture" set, Env MARK=<arch>), an image index over
them with their platforms, named REF in index.json. For pull tests of
platform choice (skopeo copy --all pushes it)."""
import hashlib, json, os, sys

d, ref, archs = sys.argv[1], sys.argv[2], sys.argv[3:]
blobs = os.path.join(d, "blobs", "sha256")

def put(data):
    h = hashlib.sha256(data).hexdigest()
    with open(os.path.join(blobs, h), "wb") as f:
        f.write(data)
    return "sha256:" + h, len(data)

def get(digest):
    with open(os.path.join(blobs, digest[7:]), "rb") as f:
        return f.read()

index = json.load(open(os.path.join(d, "index.json")))
manifest = json.loads(get(index["manifests"][0]["digest"]))
config = json.loads(get(manifest["config"]["digest"]))
entries = []
for arch in archs:
    variant = None
    if "/" in arch:
        arch, variant = arch.split("/", 1)
    c = dict(config, architecture=arch)
    if variant:
        c["variant"] = variant
    c["config"] = dict(config["config"], Env=config["config"]["Env"] + ["MARK=" + arch])
    cd, cs = put(json.dumps(c, separators=(",", ":")).encode())
    m = dict(manifest, config=dict(manifest["config"], digest=cd, size=cs))
    md, ms = put(json.dumps(m, separators=(",", ":")).encode())
    plat = {"architecture": arch, "os": "linux"}
    if variant:
        plat["variant"] = variant
    entries.append({"mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "digest": md, "size": ms, "platform": plat})
idx = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
       "manifests": entries}
idd, ids = put(json.dumps(idx, separators=(",", ":")).encode())
index["manifests"] = [{"mediaType": "application/vnd.oci.image.index.v1+json", "digest": idd,
                       "size": ids, "annotations": {"org.opencontainers.image.ref.name": ref}}]
json.dump(index, open(os.path.join(d, "index.json"), "w"))
print(idd)
