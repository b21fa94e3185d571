from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def render_panel(context, panel):
    """Render one contributed panel (an item of ``home.registry.render_panels``) with the
    page's context plus the panel's own."""
    panel_template = context.template.engine.get_template(panel["template"])
    with context.push(panel["context"]):
        return panel_template.render(context)
