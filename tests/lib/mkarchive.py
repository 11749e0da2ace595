# mkarchive.py: image archives for tests/load.test, written with Python's
# tarfile (a third writer beside ocibox save and skopeo), to stdout.
#   python3 mkarchive.py legacy OCIDIR NAME:TAG [dup|corrupt]
#       docker save <= 24 of the image in OCIDIR (an OCI layout from
#       mkimage.sh): <v1id>/{VERSION,json,layer.tar}, <config>.json,
#       manifest.json, repositories. dup: a layer repeated is a symlink to
#       the first, as Docker writes it; corrupt: the last layer.tar is not
#       the one the config names.
#   python3 mkarchive.py gzdiff OCIDIR
#       Docker 25+ layout whose config names a wrong diff_id for the first
#       (gzip) layer: only unpacking can tell.
#   python3 mkarchive.py CASE SAVED.tar
#       a hostile copy of an ocibox save: traversal, absolute, baddigest,
#       missing, outside (manifest.json leads out), symlink (a layer.tar
#       linking out of the archive).
import gzip
import hashlib
import io
import json
import sys
import tarfile

out = tarfile.open(fileobj=sys.stdout.buffer, mode="w|", format=tarfile.PAX_FORMAT)


def add(name, data=b"", kind=tarfile.REGTYPE, link=""):
    ti = tarfile.TarInfo(name)
    ti.type, ti.linkname, ti.mode = kind, link, 0o644
    ti.size = len(data) if kind == tarfile.REGTYPE else 0
    out.addfile(ti, io.BytesIO(data) if ti.size else None)


def layout(d):
    def blob(digest):
        return open("%s/blobs/sha256/%s" % (d, digest[7:]), "rb").read()
    idx = json.load(open(d + "/index.json"))
    m = json.loads(blob(idx["manifests"][0]["digest"]))
    return blob, m, blob(m["config"]["digest"])


def legacy(d, tag, mode):
    blob, m, cfg = layout(d)
    files, paths, seen, parent = {}, [], {}, ""
    for i, l in enumerate(m["layers"]):
        data = gzip.decompress(blob(l["digest"]))
        if mode == "corrupt" and i == len(m["layers"]) - 1:
            data = bytes(1024)
        v1id = hashlib.sha256((parent + l["digest"]).encode()).hexdigest()
        parent = v1id
        files[v1id + "/VERSION"] = b"1.0"
        files[v1id + "/json"] = json.dumps({"id": v1id}).encode()
        if mode == "dup" and data in seen:
            files[v1id + "/layer.tar"] = ("../%s/layer.tar" % seen[data],)
        else:
            files[v1id + "/layer.tar"] = data
            seen.setdefault(data, v1id)
        paths.append(v1id + "/layer.tar")
    chex = hashlib.sha256(cfg).hexdigest()
    files[chex + ".json"] = cfg
    files["manifest.json"] = json.dumps([{"Config": chex + ".json", "RepoTags": [tag], "Layers": paths}]).encode()
    repo, t = tag.rsplit(":", 1)
    files["repositories"] = json.dumps({repo: {t: parent}}).encode()
    for name in sorted(files):
        v = files[name]
        if isinstance(v, tuple):
            add(name, kind=tarfile.SYMTYPE, link=v[0])
        else:
            add(name, v)


def gzdiff(d):
    blob, m, cfg = layout(d)
    c = json.loads(cfg)
    c["rootfs"]["diff_ids"][0] = "sha256:" + hashlib.sha256(b"not this layer").hexdigest()
    cfg = json.dumps(c).encode()
    m["config"]["digest"], m["config"]["size"] = "sha256:" + hashlib.sha256(cfg).hexdigest(), len(cfg)
    mraw = json.dumps(m).encode()
    mdig = "sha256:" + hashlib.sha256(mraw).hexdigest()
    add("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
    add("index.json", json.dumps({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": mdig, "size": len(mraw),
        "annotations": {"io.containerd.image.name": "docker.io/library/gzdiff:1"}}]}).encode())
    for digest, data in [(mdig, mraw), (m["config"]["digest"], cfg)] + \
            [(l["digest"], blob(l["digest"])) for l in m["layers"]]:
        add("blobs/sha256/" + digest[7:], data)


def hostile(case, saved):
    src = tarfile.open(saved)
    man = json.load(src.extractfile("manifest.json"))
    first, last = man[0]["Layers"][0], man[0]["Layers"][-1]
    if case == "traversal":
        add("../evil", b"x\n")
    elif case == "absolute":
        add("/evil", b"x\n")
    elif case == "symlink":
        add("evil/layer.tar", kind=tarfile.SYMTYPE, link="../../etc/passwd")
    for ti in src:
        data = src.extractfile(ti).read() if ti.isfile() else None
        if case in ("outside", "symlink") and ti.name in ("oci-layout", "index.json"):
            continue  # the manifest.json route
        if case == "missing" and ti.name == last:
            continue
        if case == "baddigest" and ti.name == first:
            data = data[:100] + bytes([data[100] ^ 1]) + data[101:]
        if ti.name == "manifest.json" and case in ("outside", "symlink"):
            man[0]["Layers"][0] = "../" + first if case == "outside" else "evil/layer.tar"
            data = json.dumps(man).encode()
            ti.size = len(data)
        out.addfile(ti, io.BytesIO(data) if data is not None else None)


if sys.argv[1] == "legacy":
    legacy(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else "")
elif sys.argv[1] == "gzdiff":
    gzdiff(sys.argv[2])
elif sys.argv[1] in ("traversal", "absolute", "baddigest", "missing", "outside", "symlink"):
    hostile(sys.argv[1], sys.argv[2])
else:
    sys.exit("mkarchive.py: unknown case " + sys.argv[1])
out.close()
