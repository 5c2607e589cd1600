"""Demo pages for `seed_demo`: the site root and the home page."""

from django.contrib.contenttypes.models import ContentType

from wagtail.models import Page, Site

from home.models import HomePage


def seed_pages(stdout):
    if not HomePage.objects.exists():
        # Wagtail's own welcome page (a plain Page) holds the slug "home" and the default site;
        # deleting it also deletes that Site row, recreated below for our home page.
        Page.objects.filter(depth=2, content_type=ContentType.objects.get_for_model(Page)).delete()
        home = Page.get_first_root_node().add_child(
            instance=HomePage(
                title="抗击疫情 爱心捐赠",
                slug="home",
                intro="<p>大爱无疆、共克时艰、战胜疫情。</p>",
            )
        )
        home.save_revision().publish()
        stdout.write("  home page created")
    home = HomePage.objects.get()
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(
            hostname="localhost", port=80, root_page=home, is_default_site=True, site_name="民政局"
        )
        stdout.write("  default site created")
    elif site.root_page_id != home.pk:
        site.root_page = home
        site.save()
