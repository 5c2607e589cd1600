"""Content-Security-Policy: one strict policy for the site, a relaxed one for the Wagtail admin.

django-csp's middleware writes `settings.CONTENT_SECURITY_POLICY` (strict: no inline or eval'd
script, nothing from other origins) on every response. Wagtail's admin is not strict-CSP
compatible (inline `<script>` in date pickers and inline panels, inline styles, `eval` in some
vendor code), so paths under /admin/ get `ADMIN_CSP_DIRECTIVES` instead, except the login
page, which stays strict: it is the page a phishing or injection attack would aim at.

Responses that already carry a policy keep it: the private photo and attachment views send
`default-src 'none'; sandbox` themselves (snippets/views.py).
"""

from csp.middleware import CSPMiddleware, PolicyParts

from django.conf import settings

ADMIN_PREFIX = "/admin/"
# Admin pages that a visitor sees before logging in: kept on the strict site policy.
STRICT_ADMIN_PATHS = ("/admin/login/",)


def uses_admin_policy(path):
    return path.startswith(ADMIN_PREFIX) and not path.startswith(STRICT_ADMIN_PATHS)


class SiteCSPMiddleware(CSPMiddleware):
    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if not report_only and parts.config is None and uses_admin_policy(request.path_info):
            return PolicyParts(settings.ADMIN_CSP_DIRECTIVES, parts.update, parts.replace, parts.nonce)
        return parts
