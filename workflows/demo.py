"""Demo users, one per role. Called by `seed_demo`; never in production."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from workflows import roles

DEMO_PASSWORD = "demo-2026-desk"  # noqa: S105 - demo data, refused in production

# username, role, full name, email
DEMO_USERS = (
    ("comms", roles.COMMUNICATIONS, "宣传 王敏", "comms@example.org"),
    ("inspector", roles.INSPECTOR, "督查 李强", "inspector@example.org"),
    ("unit", roles.RESPONSIBLE_UNIT, "敬老院 赵红", "unit@example.org"),
    ("leader", roles.LEADERSHIP, "局长 陈刚", "leader@example.org"),
    ("admin", roles.ADMINISTRATOR, "管理员 周洁", "admin@example.org"),
)


def seed_users(stdout):
    User = get_user_model()
    for username, role_key, full_name, email in DEMO_USERS:
        last_name, first_name = full_name.split(" ", 1)
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first_name, "last_name": last_name, "email": email},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.is_superuser = role_key == roles.ADMINISTRATOR
            user.is_staff = role_key == roles.ADMINISTRATOR
            user.save()
        user.groups.add(Group.objects.get(name=roles.group_name(role_key)))
        state = "created" if created else "exists, unchanged"
        stdout.write(f"  {username:<10} {roles.group_name(role_key):<28} {DEMO_PASSWORD}  ({state})")
