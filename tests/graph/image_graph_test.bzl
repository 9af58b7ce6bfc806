"""Analysis tests of image_graph: its one action, and the messages of its fail() calls."""

load("@bazel_skylib//lib:unittest.bzl", "analysistest", "asserts")
load("//rules:defs.bzl", "image_build", "image_graph")

_TargetActionsInfo = provider(
    doc = "The actions a target registered.",
    fields = {"actions": "list of Action"},
)

def _target_actions_aspect_impl(target, ctx):  # @unused
    return [_TargetActionsInfo(actions = target.actions)]

_target_actions_aspect = aspect(implementation = _target_actions_aspect_impl)

def _make_analysis_test(impl, expect_failure = False, config_settings = {}, extra_attrs = {}):
    """analysistest.make without its unittest toolchain, which this workspace does not register."""
    settings = dict(config_settings)
    if expect_failure:
        settings["//command_line_option:allow_analysis_failures"] = "True"
    target_kwargs = {"cfg": analysis_test_transition(settings = settings)} if settings else {}
    attrs = dict(extra_attrs)
    attrs.update({
        "_impl_name": attr.string(default = "image_graph_test"),
        "target_under_test": attr.label(
            aspects = [_target_actions_aspect],
            mandatory = True,
            **target_kwargs
        ),
    })
    return rule(impl, attrs = attrs, test = True, analysis_test = True)

def _graph_action(env):
    target = analysistest.target_under_test(env)
    actions = [a for a in target[_TargetActionsInfo].actions if a.mnemonic == "ImageGraph"]
    asserts.equals(env, 1, len(actions), "expected one ImageGraph action")
    return actions[0] if actions else None

# The JSON the rule hands the graph tool.
def _graph_input(env):
    target = analysistest.target_under_test(env)
    writes = [a for a in target[_TargetActionsInfo].actions if a.mnemonic == "FileWrite"]
    asserts.equals(env, 1, len(writes), "expected the graph input to be written")
    return json.decode(writes[0].content) if writes else {}

# One action; it reads context hashes and registry files, never an image.
def _action_test_impl(ctx):
    env = analysistest.begin(ctx)
    action = _graph_action(env)
    if action:
        asserts.true(env, "--format=json" in action.argv, str(action.argv))
        inputs = sorted([f.basename for f in action.inputs.to_list()])
        for name in ["app.context_hash", "base.context_hash", "lint.context_hash", "tools.context_hash", "HASH", "VERSION", "REGISTRY", "action_graph.input.json"]:
            asserts.true(env, name in inputs, "%s is not an input of ImageGraph: %s" % (name, inputs))
        for name in inputs:
            asserts.false(env, name.endswith(".tar.zst") or name.endswith(".context.tar"), "ImageGraph reads %s: it must not need a build" % name)
        asserts.equals(env, ["action_graph.json"], [f.basename for f in action.outputs.to_list()])
    return analysistest.end(env)

_action_test = _make_analysis_test(_action_test_impl)

# The graph takes the builds' settings, //rules:index and //rules:index_level.
def _settings_test_impl(ctx):
    env = analysistest.begin(ctx)
    graph_input = _graph_input(env)
    asserts.equals(env, 2, graph_input.get("level"))
    asserts.equals(env, "/srv/index", graph_input.get("index"))
    return analysistest.end(env)

_settings_test = _make_analysis_test(
    _settings_test_impl,
    config_settings = {
        "//rules:index": "/srv/index",
        "//rules:index_level": 2,
    },
)

def _failure_test_impl(ctx):
    env = analysistest.begin(ctx)
    asserts.expect_failure(env, ctx.attr.message)
    return analysistest.end(env)

_failure_test = _make_analysis_test(
    _failure_test_impl,
    expect_failure = True,
    extra_attrs = {"message": attr.string(doc = "The expected fail() message.")},
)

_bad_level_failure_test = _make_analysis_test(
    _failure_test_impl,
    expect_failure = True,
    config_settings = {"//rules:index_level": 5},
    extra_attrs = {"message": attr.string(doc = "The expected fail() message.")},
)

_FAILURES = {
    # The setting is checked once (index_settings.bzl), by the first rule that reads it.
    "bad_level": "//rules:index_level is 5; set --//rules:index_level to 1, 2 or 3 (3 is the trusted level)",
    "context_only": "'//tests/graph/images:base.hash' does not have mandatory providers: 'ImageInfo'",
    "duplicate": "image_graph(name = \"duplicate_graph\"): images: //tests/graph/images:base and //tests/graph:base are both image \"base\"; list each image once",
    "missing_parent": "image_graph(name = \"missing_parent_graph\"): images: //tests/graph/images:app has parent \"tools\", which is not in the list; add //tests/graph/images:tools",
}

def image_graph_test_suite(name):
    """The analysis tests of image_graph, on the fixture tree tests/graph/images.

    Args:
      name: the test_suite's name.
    """
    fixture = "//tests/graph/images:"
    all_images = [fixture + n for n in ["app", "base", "lint", "tools"]]
    image_graph(name = "action_graph", images = all_images, tags = ["manual"])
    image_graph(name = "missing_parent_graph", images = [fixture + "app", fixture + "base"], tags = ["manual"])

    # A second image named "base", built from the fixture's context.
    image_build(name = "base", context = fixture + "base.hash", registry = fixture + "REGISTRY", tags = ["manual"])
    image_graph(name = "duplicate_graph", images = [fixture + "base", ":base"], tags = ["manual"])
    image_graph(name = "bad_level_graph", images = [fixture + "base"], tags = ["manual"])
    image_graph(name = "context_only_graph", images = [fixture + "base.hash"], tags = ["manual"])

    _action_test(name = name + "_action", target_under_test = ":action_graph")
    _settings_test(name = name + "_settings", target_under_test = ":action_graph")
    for failure, message in _FAILURES.items():
        test = _bad_level_failure_test if failure == "bad_level" else _failure_test
        test(
            name = name + "_" + failure,
            target_under_test = ":%s_graph" % failure,
            message = message,
        )
    native.test_suite(
        name = name,
        tests = [name + "_action", name + "_settings"] + [name + "_" + f for f in _FAILURES],
    )
