from django.contrib import admin
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("绵碚合作资源共享门户 · 管理")
admin.site.site_title = _("绵碚共享门户")
