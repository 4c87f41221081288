from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from .models import APIToken, UserProfile


class ProfileInline(admin.StackedInline):
    model = UserProfile
    can_delete = False


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class ChemVizUserAdmin(UserAdmin):
    list_display = ("username", "email", "is_active", "is_staff", "role")

    @admin.display(description="Role")
    def role(self, obj):
        return getattr(getattr(obj, "profile", None), "role", "")

    def get_inlines(self, request, obj):
        # on "add" the post_save signal creates the profile; edit the role once the user exists
        return [ProfileInline] if obj is not None else []


@admin.register(APIToken)
class APITokenAdmin(admin.ModelAdmin):
    """Tokens are issued by signing in (auth/token/), never here: the admin lists and revokes them
    (delete). Only a digest is stored, so there is no key to show."""
    list_display = ("user", "client_type", "created_at", "last_used", "expires_at")
    list_filter = ("client_type",)
    search_fields = ("user__username",)
    readonly_fields = ("user", "client_type", "created_at", "last_used", "expires_at")
    exclude = ("token",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


try:   # DRF's plain-text token table is no longer used (see migration users 0003)
    from rest_framework.authtoken.admin import TokenProxy
    admin.site.unregister(TokenProxy)
except (ImportError, admin.sites.NotRegistered):
    pass
