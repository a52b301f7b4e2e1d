from django.urls import path, re_path

from sharing.bookings.api import training as api

TRAINING_ACTIONS = {
    "schedule": api.TrainingScheduleApi,
    "record": api.TrainingRecordApi,
    "cancel": api.TrainingCancelApi,
}
QUALIFICATION_ACTIONS = {
    "renew": api.QualificationRenewApi,
    "revoke": api.QualificationRevokeApi,
}

urlpatterns = [
    path("training-requests/", api.TrainingListCreateApi.as_view(), name="training-list"),
    path("training-requests/<int:pk>/", api.TrainingDetailApi.as_view(), name="training-detail"),
    path("qualifications/", api.QualificationListCreateApi.as_view(), name="qualification-list"),
    path(
        "qualifications/<int:pk>/",
        api.QualificationDetailApi.as_view(),
        name="qualification-detail",
    ),
]
# Actions answer with or without the trailing slash, as the booking actions do.
urlpatterns += [
    re_path(
        rf"^training-requests/(?P<pk>[0-9]+)/{action}/?$",
        view.as_view(),
        name=f"training-{action}",
    )
    for action, view in TRAINING_ACTIONS.items()
]
urlpatterns += [
    re_path(
        rf"^qualifications/(?P<pk>[0-9]+)/{action}/?$",
        view.as_view(),
        name=f"qualification-{action}",
    )
    for action, view in QUALIFICATION_ACTIONS.items()
]
