from home.registry import register_nav_entry


def badge(user):
    return 3


register_nav_entry(
    url_name="plugin-index", label="Plugin", roles={"rm"}, order=35, badge=badge, module=__name__
)
