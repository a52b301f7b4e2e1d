from django.urls import path

from sharing.techmarket import api, api_deals, api_files

urlpatterns = [
    path("listings/", api.ListingListCreateApi.as_view(), name="tech-listings"),
    path("listings/<int:pk>/", api.ListingDetailApi.as_view(), name="tech-listing"),
    path("listings/<int:pk>/submit/", api.ListingSubmitApi.as_view(), name="tech-listing-submit"),
    path(
        "listings/<int:pk>/withdraw/",
        api.ListingWithdrawApi.as_view(),
        name="tech-listing-withdraw",
    ),
    path(
        "listings/<int:pk>/review/",
        api.ListingReviewStartApi.as_view(),
        name="tech-listing-review",
    ),
    path("listings/<int:pk>/decide/", api.ListingDecideApi.as_view(), name="tech-listing-decide"),
    path("listings/<int:pk>/close/", api.ListingCloseApi.as_view(), name="tech-listing-close"),
    path(
        "listings/<int:pk>/matches/",
        api.ListingMatchesApi.as_view(),
        name="tech-listing-matches",
    ),
    path(
        "listings/<int:pk>/files/",
        api_files.ListingFileUploadApi.as_view(),
        name="tech-listing-files",
    ),
    path("files/<int:pk>/", api_files.ListingFileDownloadApi.as_view(), name="tech-file"),
    path("review-queue/", api.ReviewQueueApi.as_view(), name="tech-review-queue"),
    path("needs/", api.NeedListCreateApi.as_view(), name="tech-needs"),
    path("needs/<int:pk>/", api.NeedDetailApi.as_view(), name="tech-need"),
    path("needs/<int:pk>/submit/", api.NeedSubmitApi.as_view(), name="tech-need-submit"),
    path("needs/<int:pk>/decide/", api.NeedDecideApi.as_view(), name="tech-need-decide"),
    path("needs/<int:pk>/close/", api.NeedCloseApi.as_view(), name="tech-need-close"),
    path("needs/<int:pk>/matches/", api.NeedMatchesApi.as_view(), name="tech-need-matches"),
    path("inquiries/", api_deals.InquiryListCreateApi.as_view(), name="tech-inquiries"),
    path("inquiries/<int:pk>/", api_deals.InquiryDetailApi.as_view(), name="tech-inquiry"),
    path(
        "inquiries/<int:pk>/advance/",
        api_deals.InquiryAdvanceApi.as_view(),
        name="tech-inquiry-advance",
    ),
    path(
        "inquiries/<int:pk>/close/",
        api_deals.InquiryCloseApi.as_view(),
        name="tech-inquiry-close",
    ),
    path(
        "inquiries/<int:pk>/contract/",
        api_deals.InquiryContractApi.as_view(),
        name="tech-inquiry-contract",
    ),
    path(
        "inquiries/<int:pk>/register/",
        api_deals.InquiryRegisterApi.as_view(),
        name="tech-inquiry-register",
    ),
    path("contracts/", api_deals.ContractListApi.as_view(), name="tech-contracts"),
    path(
        "indicators/contracts/",
        api_deals.ContractTurnoverApi.as_view(),
        name="tech-contract-turnover",
    ),
    path("services/", api_deals.ServiceRequestListCreateApi.as_view(), name="tech-services"),
    path(
        "services/<int:pk>/advance/",
        api_deals.ServiceRequestAdvanceApi.as_view(),
        name="tech-service-advance",
    ),
]
