from home.registry import CUSTOMER_360, RM_HOME, VISIT_BRIEF, register_panel


@register_panel(
    key="plugin-home", slot=RM_HOME, template="plugin_app/panel.html", roles={"rm"}, order=5
)
def home_panel(user):
    return {"plugin_text": f"plugin panel for {user.username}"}


@register_panel(key="plugin-customer", slot=CUSTOMER_360, template="plugin_app/panel.html")
def customer_panel(user, *, customer):
    return {"plugin_text": f"plugin panel about {customer.customer_no}"}


@register_panel(key="plugin-brief", slot=VISIT_BRIEF, template="plugin_app/panel.html")
def brief_panel(user, *, visit, customer):
    return {"plugin_text": f"plugin panel before visit {visit.pk}"}
