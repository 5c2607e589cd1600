"""Public pages: the home page, the appeal (募捐倡议书) and the channels page."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.api import APIField
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page

from home.blocks import AppealStreamBlock
from home.models.channels import ChannelKind, DonationChannel
from home.serializers import ChannelListField, ImageRenditionField, TotalsField

INTRO_FEATURES = ["bold", "italic", "link"]


def public_channels():
    return DonationChannel.objects.public().for_display()


def in_editor_order(channel_ids, channels):
    """The channels named by `channel_ids`, in that order; ids of channels not in `channels` dropped."""
    by_id = {channel.pk: channel for channel in channels}
    return [by_id[pk] for pk in channel_ids if pk in by_id]


def promoted_channel_ids():
    """{appeal page id: [channel ids in the editor's order]} for every appeal page, in one query."""
    promoted = {}
    for page_id, channel_id in AppealChannel.objects.order_by("page_id", "sort_order").values_list(
        "page_id", "channel_id"
    ):
        promoted.setdefault(page_id, []).append(channel_id)
    return promoted


def group_by_kind(channels):
    """[(kind label, [channels])] in the order of ChannelKind, empty kinds left out."""
    groups = {kind: [] for kind in ChannelKind}
    for channel in channels:
        groups[ChannelKind(channel.kind)].append(channel)
    return [(kind.label, items) for kind, items in groups.items() if items]


class HomePage(Page):
    """The site root: the appeal in brief, the totals and the way to give."""

    hero_image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("头图"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    hero_alt = models.CharField(
        _("头图替代文字"), max_length=200, blank=True, help_text=_("有头图时必须填写。")
    )
    intro = RichTextField(_("导语"), blank=True, features=INTRO_FEATURES)
    featured_appeal = models.ForeignKey(
        "home.AppealPage",
        verbose_name=_("首页展示的倡议"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("留空时展示最新发布的倡议。"),
    )
    donate_label = models.CharField(_("捐赠按钮文字"), max_length=40, default="我要捐赠")

    content_panels = Page.content_panels + [
        MultiFieldPanel([FieldPanel("hero_image"), FieldPanel("hero_alt")], heading=_("头图")),
        FieldPanel("intro"),
        FieldPanel("featured_appeal"),
        FieldPanel("donate_label"),
    ]
    api_fields = [
        APIField("intro"),
        APIField("hero_image", serializer=ImageRenditionField("fill-1200x500")),
        APIField("hero_alt"),
        APIField("donate_label"),
        APIField("totals", serializer=TotalsField()),
        APIField("channels", serializer=ChannelListField()),
    ]

    parent_page_types = ["wagtailcore.Page"]
    max_count = 1

    class Meta:
        verbose_name = _("首页")
        verbose_name_plural = _("首页")

    def clean(self):
        super().clean()
        if self.hero_image_id and not self.hero_alt:
            from django.core.exceptions import ValidationError

            raise ValidationError({"hero_alt": _("请为头图填写替代文字。")})

    def route(self, request, path_components):
        # /disclosures/<day>/...: the day page in one query, matched on its full URL path (the index
        # and the day are the first two slugs), where Wagtail's walk costs four (each level as a
        # Page, then its specific row). Like Wagtail's, only the page served must be live, and its
        # view restrictions are checked before it is served. Anything else: Wagtail's routing.
        if len(path_components) >= 2:
            from home.ledger.models import DisclosurePage

            url_path = f"{self.url_path}{path_components[0]}/{path_components[1]}/"
            day = DisclosurePage.objects.filter(url_path=url_path, depth=self.depth + 2).first()
            if day is not None:
                return day.route(request, path_components[2:])
        return super().route(request, path_components)

    @property
    def totals(self):
        from home.totals import public_totals

        return public_totals()

    @property
    def channels(self):
        return list(public_channels())

    def current_appeal(self):
        if self.featured_appeal_id and self.featured_appeal and self.featured_appeal.live:
            return self.featured_appeal
        return AppealPage.objects.live().descendant_of(self).order_by("-first_published_at").first()

    def channels_page(self):
        return ChannelsPage.objects.live().descendant_of(self).first()

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["totals"] = self.totals
        context["appeal"] = self.current_appeal()
        context["channels"] = self.channels
        context["channels_page"] = self.channels_page()
        return context


class AppealState(models.TextChoices):
    ACTIVE = "active", _("进行中")
    CLOSED = "closed", _("已结束")


class AppealPage(Page):
    """募捐倡议书: the appeal itself, with the channels it promotes."""

    lead = models.TextField(_("导语"), max_length=600)
    body = StreamField(AppealStreamBlock(), verbose_name=_("正文"), blank=True)
    issuer = models.CharField(_("发起单位"), max_length=120)
    issued_on = models.DateField(_("发布日期"))
    signature = models.CharField(_("落款"), max_length=200, blank=True)
    state = models.CharField(
        _("状态"), max_length=16, choices=AppealState.choices, default=AppealState.ACTIVE
    )
    closed_notice = models.CharField(
        _("结束说明"), max_length=200, blank=True, help_text=_("倡议结束后在页面顶部显示。")
    )

    content_panels = Page.content_panels + [
        FieldPanel("lead"),
        FieldPanel("body"),
        MultiFieldPanel(
            [FieldPanel("issuer"), FieldPanel("issued_on"), FieldPanel("signature")], heading=_("落款")
        ),
        MultiFieldPanel([FieldPanel("state"), FieldPanel("closed_notice")], heading=_("状态")),
        InlinePanel("channel_links", label=_("推荐的捐赠渠道")),
    ]
    api_fields = [
        APIField("lead"),
        APIField("body"),
        APIField("issuer"),
        APIField("issued_on"),
        APIField("signature"),
        APIField("state"),
        APIField("closed_notice"),
        APIField("channels", serializer=ChannelListField()),
    ]

    parent_page_types = ["home.HomePage"]
    subpage_types = []

    class Meta:
        verbose_name = _("募捐倡议书")
        verbose_name_plural = _("募捐倡议书")

    @property
    def is_closed(self):
        return self.state == AppealState.CLOSED

    @property
    def channels(self):
        """The promoted channels that are public right now, in the editor's order."""
        ids = [link.channel_id for link in self.channel_links.all()]
        return in_editor_order(ids, public_channels().filter(pk__in=ids))

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["channels"] = self.channels
        context["channels_page"] = ChannelsPage.objects.live().sibling_of(self).first()
        return context


class AppealChannel(Orderable):
    page = ParentalKey(AppealPage, on_delete=models.CASCADE, related_name="channel_links")
    channel = models.ForeignKey(
        DonationChannel, verbose_name=_("捐赠渠道"), on_delete=models.CASCADE, related_name="+"
    )

    panels = [FieldPanel("channel")]

    class Meta(Orderable.Meta):
        verbose_name = _("推荐渠道")


class ChannelsPage(Page):
    """Lists every active channel grouped by kind, and links to the official-channel check."""

    intro = RichTextField(_("导语"), blank=True, features=INTRO_FEATURES)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    api_fields = [APIField("intro"), APIField("channels", serializer=ChannelListField())]

    parent_page_types = ["home.HomePage"]
    subpage_types = []
    max_count = 1

    class Meta:
        verbose_name = _("捐赠渠道页")
        verbose_name_plural = _("捐赠渠道页")

    @property
    def channels(self):
        return list(public_channels())

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["channel_groups"] = group_by_kind(self.channels)
        return context
