"""The image index settings every rule reads: //rules:index and //rules:index_level."""

load("@bazel_skylib//rules:common_settings.bzl", "BuildSettingInfo")

# The attributes a rule adds to read the settings.
INDEX_SETTINGS_ATTRS = {
    "_index": attr.label(
        default = Label("//rules:index"),
        providers = [BuildSettingInfo],
        doc = "The image index builds reuse from and insert into (--//rules:index).",
    ),
    "_index_level": attr.label(
        default = Label("//rules:index_level"),
        providers = [BuildSettingInfo],
        doc = "The builder's index level, 1..3 (--//rules:index_level).",
    ),
}

def index_settings(ctx, owner):
    """Returns the index settings of the build, checked.

    Args:
      ctx: the context of a rule with INDEX_SETTINGS_ATTRS.
      owner: the target, as messages name it.

    Returns:
      struct(index = the //rules:index value (kept symbolic: "default" is
      resolved by the tools), level = the //rules:index_level value).
    """
    level = ctx.attr._index_level[BuildSettingInfo].value
    if level < 1 or level > 3:
        fail("%s: //rules:index_level is %d; set --//rules:index_level to 1, 2 or 3 (3 is the trusted level)" % (owner, level))
    return struct(
        index = ctx.attr._index[BuildSettingInfo].value,
        level = level,
    )
