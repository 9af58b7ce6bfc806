"""Root filesystems made by Bazel, so that base images need no registry: debian_rootfs and busybox_rootfs.

Both write zstd-compressed tarballs (NAME.tar.zst), which a Dockerfile's `ADD` unpacks,
so that no uncompressed root filesystem is ever stored in a disk or remote cache.
"""

# How root filesystems are compressed: zstd's level 3, one worker, whatever
# ZSTD_CLEVEL or ZSTD_NBTHREADS say, so that every machine writes the same
# bytes (and the same context hash) from the same tree.
_ZSTD = "zstd -q -3 -T1 -c"

def _check_package(package, owner):
    allowed = "abcdefghijklmnopqrstuvwxyz0123456789+-."
    if not package or [c for c in package.elems() if c not in allowed]:
        fail("%s: packages: %r is not a Debian package name; use names like \"ca-certificates\" (lowercase letters, digits, + - .)" % (owner, package))

def _debian_rootfs_impl(ctx):
    owner = str(ctx.label)
    for package in ctx.attr.packages:
        _check_package(package, owner)
    if ctx.attr.variant not in ["minbase", "essential", "apt", "required", "important", "standard"]:
        fail("%s: variant: %r is not an mmdebstrap variant; use minbase (the default), essential, apt, required, important or standard" % (owner, ctx.attr.variant))
    out = ctx.actions.declare_file(ctx.label.name + ".tar.zst")
    args = ctx.actions.args()
    args.add(out.path)
    args.add("--variant=" + ctx.attr.variant)

    # Unshare mode, as root and as a user alike: the maintainer scripts run in
    # a user namespace over the invoker's subordinate IDs (as RUN steps do),
    # and the tarball is the same bit for bit whoever makes it.
    args.add("--mode=unshare")
    args.add("--quiet")
    if ctx.attr.packages:
        args.add("--include=" + ",".join(ctx.attr.packages))

    # Package lists and caches add size and differ from run to run.
    args.add("--customize-hook=rm -rf \"$1\"/var/lib/apt/lists/* \"$1\"/var/cache/apt/*.bin \"$1\"/var/log/*")
    args.add("--format=tar")
    args.add(ctx.attr.suite)
    args.add("-")
    if ctx.attr.mirror:
        args.add(ctx.attr.mirror)
    ctx.actions.run_shell(
        command = """set -eu
if ! command -v mmdebstrap >/dev/null 2>&1; then
  echo "mmdebstrap is not installed; run ./bazelw (it installs it) or apt-get install mmdebstrap" >&2
  exit 1
fi
out="$1"
shift
# A fixed epoch makes mmdebstrap's output reproducible for the same packages.
set -o pipefail
SOURCE_DATE_EPOCH=0 mmdebstrap "$@" | %s >"$out.partial" || { rm -f "$out.partial"; exit 1; }
mv "$out.partial" "$out"
""" % _ZSTD,
        arguments = [args],
        outputs = [out],
        mnemonic = "DebianRootfs",
        progress_message = "Bootstrapping Debian %s (%s) for %s" % (ctx.attr.suite, ctx.attr.variant, ctx.label),
        # mmdebstrap needs newuidmap (PATH), real directories and the mirror.
        use_default_shell_env = True,
        execution_requirements = {"no-sandbox": "1", "requires-network": "1"},
    )
    return [DefaultInfo(files = depset([out]))]

debian_rootfs = rule(
    implementation = _debian_rootfs_impl,
    doc = """A Debian root filesystem tarball, zstd-compressed (NAME.tar.zst), made by `mmdebstrap --mode=unshare`.

Use it as the base of an image tree without a registry: place it into a base image's
context with docker_image's `extra_files` and start the Dockerfile with
`FROM scratch` + `ADD rootfs.tar.zst /` (ADD unpacks it). Runs as whoever builds, in a user
namespace over their subordinate IDs (./bazelw sets them up), and reaches the Debian mirror.""",
    attrs = {
        "suite": attr.string(
            default = "bookworm",
            doc = "The Debian suite to bootstrap.",
        ),
        "variant": attr.string(
            default = "minbase",
            doc = "mmdebstrap's --variant: minbase gives only Essential packages and apt.",
        ),
        "packages": attr.string_list(
            doc = "Extra packages to install (mmdebstrap --include); installing them here keeps RUN steps offline.",
        ),
        "mirror": attr.string(
            doc = "The mirror URL; empty means mmdebstrap's default (the host's apt sources).",
        ),
    },
)

def _busybox_rootfs_impl(ctx):
    out = ctx.actions.declare_file(ctx.label.name + ".tar.zst")
    ctx.actions.run_shell(
        command = """set -eu -o pipefail
busybox="$1"; out="$2"
if [ ! -x "$busybox" ]; then
  echo "$busybox: no static busybox here; apt-get install busybox-static (./bazelw installs it)" >&2
  exit 1
fi
if ldd "$busybox" >/dev/null 2>&1; then
  echo "$busybox: is dynamically linked; an image without libc needs busybox-static" >&2
  exit 1
fi
tree="$(mktemp -d)"
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree/bin" "$tree/etc" "$tree/tmp" "$tree/root"
cp "$busybox" "$tree/bin/busybox"
chmod 0755 "$tree/bin/busybox"
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$tree/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\\n' >"$tree/etc/passwd"
printf 'root:x:0:\\n' >"$tree/etc/group"
chmod 1777 "$tree/tmp"
tar --create --file=- --directory="$tree" --sort=name --mtime=@0 \
  --owner=0 --group=0 --numeric-owner --format=gnu . | %s >"$out.partial"
mv "$out.partial" "$out"
""" % _ZSTD,
        arguments = [ctx.attr.busybox, out.path],
        outputs = [out],
        mnemonic = "BusyboxRootfs",
        progress_message = "Assembling a busybox root filesystem for %s" % ctx.label,
    )
    return [DefaultInfo(files = depset([out]))]

busybox_rootfs = rule(
    implementation = _busybox_rootfs_impl,
    doc = """A tiny root filesystem tarball, zstd-compressed (NAME.tar.zst): a static busybox with one
symlink per applet, /etc/passwd and /etc/group for root, and /tmp. Deterministic (sorted,
mtime 0, uid/gid 0). `ADD busybox.tar.zst /` unpacks it.""",
    attrs = {
        "busybox": attr.string(
            default = "/bin/busybox",
            doc = "Path of the host's static busybox (Debian's busybox-static puts it at /bin/busybox).",
        ),
    },
)
