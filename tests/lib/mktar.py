# mktar.py: layer tars for tests/unpack.test, written with Python's tarfile
# (a second tar writer beside GNU tar), to stdout.
#   python3 mktar.py CASE
# CASE: tree (pax: modes, links, devices, long and non-ASCII names,
# xattrs), whiteout1/whiteout2 (two layers for an overlay mount), or one
# of the hostile layers below.
import io
import sys
import tarfile

# Base-256 device numbers need the GNU format.
FMT = tarfile.GNU_FORMAT if sys.argv[1] == "bigdev" else tarfile.PAX_FORMAT
out = tarfile.open(fileobj=sys.stdout.buffer, mode="w|", format=FMT)


def add(name, kind=tarfile.REGTYPE, data=b"", mode=0o644, link="", uid=0, gid=0,
        mtime=1500000000, major=0, minor=0, pax=None):
    ti = tarfile.TarInfo(name)
    ti.type, ti.mode, ti.uid, ti.gid, ti.mtime = kind, mode, uid, gid, mtime
    ti.linkname, ti.devmajor, ti.devminor = link, major, minor
    ti.size = len(data) if kind == tarfile.REGTYPE else 0
    if pax:
        ti.pax_headers = pax
    out.addfile(ti, io.BytesIO(data) if ti.size else None)


def tree():
    add("d", tarfile.DIRTYPE, mode=0o755, mtime=1234567890.5)
    add("d/setuid", data=b"suid\n", mode=0o4755, mtime=1600000000.25)
    add("d/sticky", tarfile.DIRTYPE, mode=0o1777, mtime=1000000000)
    add("d/sticky/in", data=b"in\n")
    add("abs", tarfile.SYMTYPE, link="/etc/passwd", mode=0o777)
    add("rel", tarfile.SYMTYPE, link="d/setuid", mode=0o777)
    add("hard", tarfile.LNKTYPE, link="d/setuid")
    add("fifo", tarfile.FIFOTYPE, mode=0o600)
    add("null", tarfile.CHRTYPE, mode=0o666, major=1, minor=3)
    add("n/e/s/t/e/d/deep", data=b"deep\n")
    add("long/" + "x" * 150 + "/file", data=b"long\n")
    add("na\u00efve-\u00fc/\u65e5\u672c.txt", data=b"utf8\n")
    add("noted", data=b"x\n", pax={"SCHILY.xattr.user.note": "hello"})
    add("sneaky", tarfile.DIRTYPE, mode=0o755,
        pax={"SCHILY.xattr.trusted.overlay.opaque": "y"})
    add("owned", data=b"o\n", mode=0o640, uid=1000, gid=1001)
    add("./dot/../slashes//ok", data=b"ok\n")


def whiteout1():
    add("foo", data=b"lower foo\n")
    add("keep", data=b"keep\n")
    add("d", tarfile.DIRTYPE, mode=0o755)
    add("d/old", data=b"old\n")
    add("e", tarfile.DIRTYPE, mode=0o755)
    add("e/gone", data=b"gone\n")
    add("e/stays", data=b"stays\n")


def whiteout2():
    add(".wh.foo", uid=7, gid=8)
    add("d", tarfile.DIRTYPE, mode=0o755)
    add("d/new", data=b"new\n")
    add("d/.wh..wh..opq")
    add(".wh..wh.plnk/123.456", data=b"aufs\n")
    add("e/.wh.gone")


def hostile(case):
    if case == "dotdot":
        add("../x", data=b"x\n")
    elif case == "absdotdot":
        add("/abs/../../x", data=b"x\n")
    elif case == "linkroot":
        add("link", tarfile.SYMTYPE, link="/")
        add("link/ocibox-unpack-escape", data=b"x\n")
    elif case == "linkup":
        add("link", tarfile.SYMTYPE, link="../..")
        add("link/escape", data=b"x\n")
    elif case == "linkdeep":
        add("a/b", tarfile.DIRTYPE)
        add("a/b/up", tarfile.SYMTYPE, link="../../../..")
        add("a/b/up/escape", tarfile.DIRTYPE)
    elif case == "hardout":
        add("h", tarfile.LNKTYPE, link="../../etc/passwd")
    elif case == "hardsym":
        add("s", tarfile.SYMTYPE, link="../../..")
        add("h", tarfile.LNKTYPE, link="s")
        add("h/escape", data=b"x\n")
    elif case == "hardsymok":
        add("s", tarfile.SYMTYPE, link="/etc/passwd")
        add("h", tarfile.LNKTYPE, link="/s")
    elif case == "hardmissing":
        add("h", tarfile.LNKTYPE, link="nothere")
    elif case == "badwh":
        add("d/.wh..")
    elif case == "through":
        add("a/x", data=b"x\n")
    elif case == "replace":
        add("f", data=b"replaced\n")
    else:
        sys.exit("mktar.py: unknown case " + case)


def bigdev():
    add("dev", tarfile.CHRTYPE, major=2**33, minor=1)


case = sys.argv[1]
if case in ("tree", "whiteout1", "whiteout2", "bigdev"):
    globals()[case]()
else:
    hostile(case)
out.close()
