from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from .models import UserProfile


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
