"""Demo content for `seed_demo`: the donation channels, then the page tree `/`, `/appeal/`, `/channels/`."""

import datetime

from django.contrib.contenttypes.models import ContentType

from wagtail.models import Page, Site

from home.models import AppealChannel, AppealPage, ChannelKind, ChannelsPage, DonationChannel, HomePage

DEMO_CHANNELS = [
    {
        "kind": ChannelKind.BANK,
        "name": "市慈善总会疫情防控捐赠专户",
        "account_name": "市慈善总会",
        "bank_name": "中国工商银行市分行营业部",
        "account_number": "6222 0210 0104 2368 117",
        "description": "请在转账附言中注明“疫情防控捐赠”及您的联系方式，以便开具捐赠票据。",
        "sort_order": 10,
    },
    {
        "kind": ChannelKind.ONLINE,
        "name": "市慈善总会网上捐赠平台",
        "payment_url": "https://pay.cishan.example.gov.cn/donate/yiqing2026",
        "description": "支持微信、支付宝及银联在线支付，捐赠后可在线申领电子票据。",
        "sort_order": 20,
    },
    {
        "kind": ChannelKind.GOODS,
        "name": "市民政局救灾物资储备库接收点",
        "address": "市经济开发区兴业路 88 号",
        "opening_hours": "每日 8:00—20:00",
        "contact_phone": "0571 8702 3366",
        "accepted_goods": "医用防护服、医用外科口罩、N95 口罩、消毒液、测温枪（须有产品合格证）",
        "refused_goods": "过期或无标识物品、二手衣物、食品（另行公告除外）",
        "sort_order": 30,
    },
    {
        "kind": ChannelKind.HOTLINE,
        "name": "疫情防控捐赠咨询热线",
        "contact_phone": "0571 12345",
        "opening_hours": "每日 8:30—21:00",
        "description": "捐赠咨询、票据开具、渠道核验。",
        "sort_order": 40,
    },
]

APPEAL_LEAD = (
    "当前我市疫情防控形势严峻复杂。为凝聚社会力量、支援一线防控，市民政局、市慈善总会向社会各界发出倡议："
    "大爱无疆、共克时艰、战胜疫情。"
)
APPEAL_BODY = [
    {
        "type": "paragraph",
        "value": (
            "<p>疫情就是命令，防控就是责任。连日来，全市养老机构、殡葬服务机构和基层民政工作者坚守岗位，"
            "全力守护老年人和困难群众的生命健康。一线防护物资消耗巨大，部分农村敬老院仍存在缺口。</p>"
            "<p>我们诚挚倡议：爱心企业、社会组织和广大市民通过本局公布的官方渠道捐款捐物。"
            "所有捐赠款物将全部用于疫情防控，每日在本网站公示收支明细，接受社会监督。</p>"
        ),
    },
    {
        "type": "quote",
        "value": {"text": "一方有难，八方支援。", "attribution": "市民政局"},
    },
    {
        "type": "paragraph",
        "value": (
            "<p>请认准本页列出的账号和二维码，谨防假冒募捐。"
            "如收到其他“官方”募捐信息，请先在本网站“渠道核验”中查询，或拨打捐赠热线核实。</p>"
        ),
    },
    {
        "type": "call_to_action",
        "value": {"text": "我要捐赠", "page": None, "description": "查看全部官方捐赠渠道"},
    },
]


def seed_channels(stdout):
    for spec in DEMO_CHANNELS:
        channel = DonationChannel.objects.filter(name=spec["name"]).first()
        if channel is not None:
            continue
        channel = DonationChannel(**spec)
        channel.full_clean()
        channel.save()
        channel.save_revision().publish()
        stdout.write(f"  channel {channel.name} created")


def seed_pages(stdout):
    if not HomePage.objects.exists():
        # Wagtail's own welcome page (a plain Page) holds the slug "home" and the default site;
        # deleting it also deletes that Site row, recreated below for our home page.
        Page.objects.filter(depth=2, content_type=ContentType.objects.get_for_model(Page)).delete()
        home = Page.get_first_root_node().add_child(
            instance=HomePage(
                title="抗击疫情 爱心捐赠",
                slug="home",
                intro="<p>大爱无疆、共克时艰、战胜疫情。您的每一份捐赠都将每日公示，全程接受社会监督。</p>",
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

    if not ChannelsPage.objects.exists():
        channels_page = home.add_child(
            instance=ChannelsPage(
                title="官方捐赠渠道",
                slug="channels",
                intro="<p>以下是市民政局、市慈善总会公布的全部官方捐赠渠道，请认准后再捐赠。</p>",
            )
        )
        channels_page.save_revision().publish()
        stdout.write("  channels page created")

    if not AppealPage.objects.exists():
        channels_page = ChannelsPage.objects.get()
        body = [dict(block) for block in APPEAL_BODY]
        body[-1] = {"type": "call_to_action", "value": dict(body[-1]["value"], page=channels_page.pk)}
        appeal = AppealPage(
            title="致全市社会各界的疫情防控募捐倡议书",
            slug="appeal",
            lead=APPEAL_LEAD,
            body=body,
            issuer="市民政局　市慈善总会",
            issued_on=datetime.date(2026, 11, 20),
            signature="大爱无疆、共克时艰、战胜疫情",
        )
        for order, channel in enumerate(DonationChannel.objects.public().exclude(kind=ChannelKind.HOTLINE)):
            appeal.channel_links.add(AppealChannel(channel=channel, sort_order=order))
        home.add_child(instance=appeal)
        appeal.save_revision().publish()
        stdout.write("  appeal page created")
