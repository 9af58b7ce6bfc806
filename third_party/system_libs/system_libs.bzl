"""Repository rules that bind Debian's system libraries under upstream names.

Labels mirror upstream (`@com_google_absl//absl/strings`,
`@com_google_absl//absl/status:statusor`, ...), so that moving to libraries
built from source later touches only WORKSPACE.
"""

def _pkg_config(rctx, args):
    result = rctx.execute(["pkg-config"] + args)
    if result.return_code != 0:
        fail("pkg-config %s failed: %s\nInstall the library with ./bazelw (it installs every Debian package the project needs)." % (" ".join(args), result.stderr))
    return result.stdout.strip()

def _absl_target_for_module(rctx, module):
    """Maps a pkg-config module such as absl_flags_parse to ("flags", "parse").

    Abseil installs the header of target //absl/DIR:NAME as absl/DIR/NAME.h, so
    the header layout tells which package a module belongs to.
    """
    name = module[len("absl_"):]
    include = rctx.path("/usr/include/absl")

    # //absl/strings is //absl/strings:strings, whose headers have other names.
    if rctx.path("/usr/include/absl/%s/internal" % name).exists:
        return (name, name)
    for pkg in include.readdir():
        if rctx.path("%s/%s.h" % (pkg, name)).exists:
            return (pkg.basename, name)
    for pkg in include.readdir():
        prefix = pkg.basename + "_"
        if name.startswith(prefix) and rctx.path("%s/%s.h" % (pkg, name[len(prefix):])).exists:
            return (pkg.basename, name[len(prefix):])
    return None

def _system_absl_impl(rctx):
    modules = []
    for line in _pkg_config(rctx, ["--list-all"]).splitlines():
        module = line.split(" ")[0]
        if module.startswith("absl_"):
            modules.append(module)
    packages = {"": []}
    aliases = {}  # (package, name) -> module
    for module in sorted(modules):
        linkopts = _pkg_config(rctx, ["--libs", module]).split(" ")
        linkopts = [opt for opt in linkopts if opt]
        rule = 'cc_library(\n    name = "%s",\n    linkopts = %s,\n    visibility = ["//visibility:public"],\n)\n'
        packages[""].append(rule % (module, repr(linkopts)))
        target = _absl_target_for_module(rctx, module)
        if not target:
            continue

        # Two modules can share a header name (absl_config, absl_flags_config);
        # the one named after its package wins.
        if target not in aliases or module == "absl_%s_%s" % target:
            aliases[target] = module

    # Header-only targets (absl/container:btree, absl/flags:flag, ...) have no
    # module of their own: they link with their package's module.
    for pkg in rctx.path("/usr/include/absl").readdir():
        fallback = "absl_" + pkg.basename
        if fallback not in modules:
            fallback = "absl_base"
        for header in pkg.readdir():
            if header.basename.endswith(".h"):
                target = (pkg.basename, header.basename[:-len(".h")])
                if target not in aliases:
                    aliases[target] = fallback
    for (pkg, name), module in sorted(aliases.items()):
        packages.setdefault(pkg, []).append(
            'alias(\n    name = "%s",\n    actual = "//:%s",\n    visibility = ["//visibility:public"],\n)\n' % (name, module),
        )
    rctx.file("WORKSPACE", 'workspace(name = "%s")\n' % rctx.name)
    for pkg, rules in packages.items():
        path = "BUILD.bazel" if pkg == "" else "absl/%s/BUILD.bazel" % pkg
        rctx.file(path, "# Generated from pkg-config by system_absl.\n\n" + "\n".join(rules))

system_absl = repository_rule(
    implementation = _system_absl_impl,
    doc = "Binds the system abseil (libabsl-dev) with link flags read from pkg-config.",
    local = True,
)

def _system_pkg_config_library_impl(rctx):
    linkopts = [opt for opt in _pkg_config(rctx, ["--libs", rctx.attr.module]).split(" ") if opt]
    rctx.file("WORKSPACE", 'workspace(name = "%s")\n' % rctx.name)
    rctx.file("BUILD.bazel", """# Generated from pkg-config by system_pkg_config_library.
cc_library(
    name = "{name}",
    linkopts = {linkopts},
    visibility = ["//visibility:public"],
)
""".format(name = rctx.attr.target, linkopts = repr(linkopts)))

system_pkg_config_library = repository_rule(
    implementation = _system_pkg_config_library_impl,
    doc = "Binds one system library whose link flags pkg-config knows.",
    attrs = {
        "module": attr.string(mandatory = True, doc = "The pkg-config module, e.g. libzstd."),
        "target": attr.string(mandatory = True, doc = "The cc_library name to create, e.g. zstd."),
    },
    local = True,
)
