"""POST bodies for the Wagtail admin edit forms, built the way the editor submits them."""

from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield


def appeal_form_data(appeal, action=None, **overrides):
    values = {
        "title": appeal.title,
        "slug": appeal.slug,
        "lead": appeal.lead,
        "body": streamfield(
            [
                (
                    block.block_type,
                    rich_text(block.value.source) if block.block_type == "paragraph" else block.value,
                )
                for block in appeal.body
                if block.block_type in ("paragraph",)
            ]
        ),
        "issuer": appeal.issuer,
        "issued_on": appeal.issued_on.isoformat(),
        "signature": appeal.signature,
        "state": appeal.state,
        "closed_notice": appeal.closed_notice,
        "channel_links": inline_formset(
            [
                {"id": link.pk, "channel": link.channel_id, "ORDER": str(i)}
                for i, link in enumerate(appeal.channel_links.all())
            ],
            initial=appeal.channel_links.count(),
        ),
        "comments": inline_formset([]),
        "seo_title": "",
        "search_description": "",
        "go_live_at": "",
        "expire_at": "",
    }
    values.update(overrides)
    data = nested_form_data(values)
    if action:
        data[action] = "1"
    return data


def channel_form_data(channel, action=None, **overrides):
    values = {
        field: "" if getattr(channel, field) is None else getattr(channel, field)
        for field in (
            "kind",
            "name",
            "description",
            "account_name",
            "bank_name",
            "account_number",
            "payment_url",
            "address",
            "opening_hours",
            "contact_phone",
            "accepted_goods",
            "refused_goods",
            "status",
            "pause_reason",
            "sort_order",
            "payment_version",
        )
    }
    values["qr_image"] = channel.qr_image_id or ""
    values["go_live_at"] = ""
    values["expire_at"] = ""
    values.update(overrides)
    data = {key: str(value) for key, value in values.items()}
    if action:
        data[action] = "1"
    return data
