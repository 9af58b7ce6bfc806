"""Analysis tests of the image rules: the actions they declare and the messages of their fail() calls."""

load("@bazel_skylib//lib:unittest.bzl", "analysistest", "asserts")
load("//rules:defs.bzl", "ImageContextInfo", "ImageInfo", "debian_rootfs", "image_build", "image_context")

_TargetActionsInfo = provider(
    doc = "The actions a target registered.",
    fields = {"actions": "list of Action"},
)

def _target_actions_aspect_impl(target, ctx):  # @unused
    return [_TargetActionsInfo(actions = target.actions)]

_target_actions_aspect = aspect(implementation = _target_actions_aspect_impl)

def _make_analysis_test(impl, expect_failure = False, attrs = {}, config_settings = {}):
    """analysistest.make without its unittest toolchain, which this workspace does not register."""
    settings = dict(config_settings)
    if expect_failure:
        settings["//command_line_option:allow_analysis_failures"] = "True"
    attrs = dict(attrs)
    attrs["_impl_name"] = attr.string(default = "rules_analysis_test")
    target_kwargs = {"cfg": analysis_test_transition(settings = settings)} if settings else {}
    attrs["target_under_test"] = attr.label(
        aspects = [_target_actions_aspect],
        mandatory = True,
        **target_kwargs
    )
    return rule(impl, attrs = attrs, test = True, analysis_test = True)

def _action(env, mnemonic):
    target = analysistest.target_under_test(env)
    actions = [a for a in target[_TargetActionsInfo].actions if a.mnemonic == mnemonic]
    asserts.equals(env, 1, len(actions), "expected one %s action" % mnemonic)
    return actions[0] if actions else None

def _flag_values(argv, flag):
    return [a[len(flag) + 1:] for a in argv if a.startswith(flag + "=")]

# The build action: parents' tarballs and the context tar as its only inputs, zstd level from the flag.
def _build_action_test_impl(ctx):
    env = analysistest.begin(ctx)
    action = _action(env, "ImageBuild")
    if action:
        argv = action.argv
        asserts.equals(env, ["img"], _flag_values(argv, "--name"))
        asserts.equals(env, ["19"], _flag_values(argv, "--zstd_level"))
        parents = _flag_values(argv, "--parent")
        asserts.equals(env, 1, len(parents))
        asserts.true(env, parents[0].startswith("base=") and parents[0].endswith("/base.tar.zst"), str(parents))
        asserts.equals(env, ["base=:base"], _flag_values(argv, "--reference"))
        inputs = [f.basename for f in action.inputs.to_list()]
        for name in ["base.tar.zst", "img.context.tar", "img.context_hash", "REGISTRY"]:
            asserts.true(env, name in inputs, "%s is not an input of ImageBuild: %s" % (name, inputs))
        asserts.false(env, "Dockerfile" in inputs, "the build reads only the context tar, not the sources")
        asserts.equals(env, ["img.image.json", "img.tar.zst"], sorted([f.basename for f in action.outputs.to_list()]))
    info = analysistest.target_under_test(env)[ImageInfo]
    asserts.equals(env, "img", info.name)
    asserts.equals(env, "tests/rules/testdata/img", info.folder)
    asserts.equals(env, "img.tar.zst", info.tarball.basename)
    asserts.equals(env, ["base"], [p.name for p in info.parents])
    return analysistest.end(env)

build_action_test = _make_analysis_test(
    _build_action_test_impl,
    config_settings = {"//rules:zstd_level": 19},
)

# The context action: parents' hash files, build args and the references on its command line.
def _context_action_test_impl(ctx):
    env = analysistest.begin(ctx)
    action = _action(env, "ImageContext")
    if action:
        argv = action.argv
        asserts.equals(env, ["."], _flag_values(argv, "--root"))
        asserts.equals(env, ["tests/rules/testdata/img"], _flag_values(argv, "--context"))
        parents = _flag_values(argv, "--parent_hash_file")
        asserts.equals(env, 1, len(parents))
        asserts.true(env, parents[0].startswith("base=") and parents[0].endswith("/base.context_hash"), str(parents))
        asserts.equals(env, ["A=1", "B=two"], _flag_values(argv, "--build_arg"))
        asserts.equals(env, ["base=:base"], _flag_values(argv, "--reference"))
        asserts.equals(
            env,
            ["img.context.manifest", "img.context.tar", "img.context_hash"],
            sorted([f.basename for f in action.outputs.to_list()]),
        )
    target = analysistest.target_under_test(env)
    asserts.false(env, ImageInfo in target, "a context-only target must not look like a built image")
    asserts.equals(env, "img", target[ImageContextInfo].name)
    asserts.equals(env, ["base"], [p.name for p in target[ImageContextInfo].parents])
    return analysistest.end(env)

context_action_test = _make_analysis_test(_context_action_test_impl)

# extra_files: read where Bazel built them (never staged, so that a build
# served by a remote cache needs none of their bytes), hashed into the
# context and given to the build as inputs of their own.
def _extra_files_test_impl(ctx):
    env = analysistest.begin(ctx)
    action = _action(env, "ImageContext")
    if action:
        asserts.equals(env, ["."], _flag_values(action.argv, "--root"))
        extras = _flag_values(action.argv, "--extra_file")
        asserts.equals(env, 1, len(extras))
        asserts.true(env, extras[0].startswith("bin/built.txt=") and extras[0].endswith("/tests/rules/built.txt"), str(extras))
        inputs = [f.path for f in action.inputs.to_list()]
        asserts.true(env, extras[0][len("bin/built.txt="):] in inputs, "the extra file is not an input: %s" % inputs)
        staged = [f for f in inputs if ".ctxroot/" in f]
        asserts.equals(env, [], staged, "nothing is staged when the sources are source files")
    return analysistest.end(env)

extra_files_test = _make_analysis_test(_extra_files_test_impl)

def _extra_files_build_test_impl(ctx):
    env = analysistest.begin(ctx)
    action = _action(env, "ImageBuild")
    if action:
        extras = _flag_values(action.argv, "--extra_file")
        asserts.equals(env, 1, len(extras))
        asserts.true(env, extras[0].startswith("bin/built.txt=") and extras[0].endswith("/tests/rules/built.txt"), str(extras))
        manifests = _flag_values(action.argv, "--context_manifest")
        asserts.equals(env, 1, len(manifests))
        asserts.true(env, manifests[0].endswith("/img_extra.context.manifest"), str(manifests))
        inputs = [f.path for f in action.inputs.to_list()]
        for path in [extras[0][len("bin/built.txt="):], manifests[0]]:
            asserts.true(env, path in inputs, "%s is not an input of ImageBuild: %s" % (path, inputs))
    return analysistest.end(env)

extra_files_build_test = _make_analysis_test(_extra_files_build_test_impl)

def _failure_test_impl(ctx):
    env = analysistest.begin(ctx)
    asserts.expect_failure(env, ctx.attr.message)
    return analysistest.end(env)

failure_test = _make_analysis_test(
    _failure_test_impl,
    expect_failure = True,
    attrs = {"message": attr.string(mandatory = True)},
)

def rules_analysis_test_suite(name):
    """Declares the targets under test (manual) and the analysis tests.

    Args:
      name: the name of the test_suite holding every test.
    """
    image_context(
        name = "base.hash",
        image_name = "base",
        dockerfile = "testdata/base/Dockerfile",
        tags = ["manual"],
    )
    image_build(
        name = "base",
        context = ":base.hash",
        registry = "testdata/REGISTRY",
        tags = ["manual"],
    )
    image_context(
        name = "img.hash",
        image_name = "img",
        build_args = {"B": "two", "A": "1"},
        dockerfile = "testdata/img/Dockerfile",
        parents = [":base"],
        references = {"base": ":base"},
        srcs = ["testdata/img/hello.txt"],
        tags = ["manual"],
    )
    image_build(
        name = "img",
        context = ":img.hash",
        registry = "testdata/REGISTRY",
        tags = ["manual"],
    )
    native.genrule(
        name = "built_file",
        outs = ["built.txt"],
        cmd = "echo built >$@",
        tags = ["manual"],
    )
    image_context(
        name = "img_extra.hash",
        image_name = "img_extra",
        dockerfile = "testdata/img/Dockerfile",
        extra_files = {":built_file": "bin/built.txt"},
        includes = ["testdata/img/hello.txt"],
        srcs = ["testdata/img/hello.txt"],
        tags = ["manual"],
    )
    image_build(
        name = "img_extra",
        context = ":img_extra.hash",
        registry = "testdata/REGISTRY",
        tags = ["manual"],
    )
    build_action_test(name = "build_action_test", size = "small", target_under_test = ":img")
    context_action_test(name = "context_action_test", size = "small", target_under_test = ":img.hash")
    extra_files_test(name = "extra_files_test", size = "small", target_under_test = ":img_extra.hash")
    extra_files_build_test(name = "extra_files_build_test", size = "small", target_under_test = ":img_extra")

    # Bad inputs: each one's message names the attribute, echoes the value and says the fix.
    failures = {
        "bad_srcs": struct(
            rule = image_context,
            attrs = dict(image_name = "img", dockerfile = "testdata/img/Dockerfile", srcs = ["testdata/outside.txt"]),
            message = "srcs: tests/rules/testdata/outside.txt is outside the image folder tests/rules/testdata/img/; move it into the folder, or list it in `includes`",
        ),
        "bad_extra_path": struct(
            rule = image_context,
            attrs = dict(image_name = "img", dockerfile = "testdata/img/Dockerfile", extra_files = {"testdata/outside.txt": "../escape"}),
            message = "extra_files: \"../escape\" is not a clean relative path",
        ),
        "extra_replaces_src": struct(
            rule = image_context,
            attrs = dict(image_name = "img", dockerfile = "testdata/img/Dockerfile", srcs = ["testdata/img/hello.txt"], extra_files = {"testdata/outside.txt": "hello.txt"}),
            message = "extra_files: \"hello.txt\" would replace the source file tests/rules/testdata/img/hello.txt; choose another path",
        ),
        "misnamed_build": struct(
            rule = image_build,
            attrs = dict(context = ":img.hash", registry = "testdata/REGISTRY"),
            message = "context: //tests/rules:img.hash hashes image \"img\" but this target is named \"misnamed_build\"; name the target after the image folder",
        ),
        "unpinned_base": struct(
            rule = image_build,
            attrs = dict(context = ":unpinned_base.hash", registry = "testdata/REGISTRY", bases = {"testdata/outside.txt": "debian:bookworm"}),
            message = "bases: \"debian:bookworm\" is not pinned by digest; write it as NAME@sha256:<64 lowercase hex digits>",
        ),
        "context_parent": struct(
            rule = image_build,
            attrs = dict(context = ":context_parent.hash", registry = "testdata/REGISTRY"),
            message = "'//tests/rules:base.hash' does not have mandatory providers: 'ImageInfo'",
        ),
        "parent_not_referenced": struct(
            rule = image_context,
            attrs = dict(image_name = "parent_not_referenced", dockerfile = "testdata/img/Dockerfile", parents = [":base"]),
            message = "parents: \"base\" is named by neither references nor parent; remove it",
        ),
        "reference_not_a_parent": struct(
            rule = image_context,
            attrs = dict(image_name = "reference_not_a_parent", dockerfile = "testdata/img/Dockerfile", references = {"base": ":base"}),
            message = "references: \"base\" names the in-tree image \"base\", which is not among parents; add \":base\" to parents",
        ),
        "bad_package": struct(
            rule = debian_rootfs,
            attrs = dict(packages = ["jq; rm -rf /"]),
            message = "packages: \"jq; rm -rf /\" is not a Debian package name",
        ),
    }
    image_context(
        name = "unpinned_base.hash",
        image_name = "unpinned_base",
        dockerfile = "testdata/img/Dockerfile",
        tags = ["manual"],
    )
    image_context(
        name = "context_parent.hash",
        image_name = "context_parent",
        dockerfile = "testdata/img/Dockerfile",
        parents = [":base.hash"],
        references = {"base": ":base"},
        tags = ["manual"],
    )
    tests = [":build_action_test", ":context_action_test", ":extra_files_test", ":extra_files_build_test"]
    for target, case in failures.items():
        case.rule(name = target, tags = ["manual"], **case.attrs)
        failure_test(
            name = target + "_test",
            size = "small",
            target_under_test = ":" + target,
            message = case.message,
        )
        tests.append(":" + target + "_test")
    native.test_suite(name = name, tests = tests)
