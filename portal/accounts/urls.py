"""Onboarding API routes: sign-up, verifications, members, recognition agreements."""

from django.urls import path

from portal.accounts import api_onboarding as api

urlpatterns = [
    path("auth/register/", api.RegisterApi.as_view(), name="register"),
    path("auth/confirm-email/", api.ConfirmEmailApi.as_view(), name="confirm-email"),
    path("verifications/", api.VerificationListApi.as_view(), name="verifications"),
    path(
        "verifications/<int:pk>/approve/",
        api.VerificationApproveApi.as_view(),
        name="verification-approve",
    ),
    path(
        "verifications/<int:pk>/reject/",
        api.VerificationRejectApi.as_view(),
        name="verification-reject",
    ),
    path(
        "verifications/<int:pk>/proof/",
        api.VerificationProofApi.as_view(),
        name="verification-proof",
    ),
    path("members/", api.MemberListApi.as_view(), name="members"),
    path(
        "members/<int:pk>/deactivate/",
        api.MemberDeactivateApi.as_view(),
        name="member-deactivate",
    ),
    path(
        "members/<int:pk>/manager-role/",
        api.MemberManagerRoleApi.as_view(),
        name="member-manager-role",
    ),
    path("recognition-agreements/", api.AgreementListApi.as_view(), name="agreements"),
    path(
        "recognition-agreements/<int:pk>/",
        api.AgreementDetailApi.as_view(),
        name="agreement-detail",
    ),
]
