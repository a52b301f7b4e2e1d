from django.urls import path

from sharing.techmarket.api import centre, deals, files, listings, needs

urlpatterns = [
    path("listings/", listings.ListingListCreateApi.as_view(), name="tech-listings"),
    path("listings/<int:pk>/", listings.ListingDetailApi.as_view(), name="tech-listing"),
    path(
        "listings/<int:pk>/submit/", listings.ListingSubmitApi.as_view(), name="tech-listing-submit"
    ),
    path(
        "listings/<int:pk>/withdraw/",
        listings.ListingWithdrawApi.as_view(),
        name="tech-listing-withdraw",
    ),
    path(
        "listings/<int:pk>/review/",
        listings.ListingReviewStartApi.as_view(),
        name="tech-listing-review",
    ),
    path(
        "listings/<int:pk>/decide/", listings.ListingDecideApi.as_view(), name="tech-listing-decide"
    ),
    path("listings/<int:pk>/close/", listings.ListingCloseApi.as_view(), name="tech-listing-close"),
    path(
        "listings/<int:pk>/matches/",
        listings.ListingMatchesApi.as_view(),
        name="tech-listing-matches",
    ),
    path(
        "listings/<int:pk>/files/",
        files.ListingFileUploadApi.as_view(),
        name="tech-listing-files",
    ),
    path("files/<int:pk>/", files.ListingFileDownloadApi.as_view(), name="tech-file"),
    path("review-queue/", listings.ReviewQueueApi.as_view(), name="tech-review-queue"),
    path("needs/", needs.NeedListCreateApi.as_view(), name="tech-needs"),
    path("needs/<int:pk>/", needs.NeedDetailApi.as_view(), name="tech-need"),
    path("needs/<int:pk>/submit/", needs.NeedSubmitApi.as_view(), name="tech-need-submit"),
    path("needs/<int:pk>/decide/", needs.NeedDecideApi.as_view(), name="tech-need-decide"),
    path("needs/<int:pk>/close/", needs.NeedCloseApi.as_view(), name="tech-need-close"),
    path("needs/<int:pk>/matches/", needs.NeedMatchesApi.as_view(), name="tech-need-matches"),
    path("inquiries/", deals.InquiryListCreateApi.as_view(), name="tech-inquiries"),
    path("inquiries/<int:pk>/", deals.InquiryDetailApi.as_view(), name="tech-inquiry"),
    path(
        "inquiries/<int:pk>/advance/",
        deals.InquiryAdvanceApi.as_view(),
        name="tech-inquiry-advance",
    ),
    path(
        "inquiries/<int:pk>/close/",
        deals.InquiryCloseApi.as_view(),
        name="tech-inquiry-close",
    ),
    path(
        "inquiries/<int:pk>/contract/",
        deals.InquiryContractApi.as_view(),
        name="tech-inquiry-contract",
    ),
    path(
        "inquiries/<int:pk>/register/",
        deals.InquiryRegisterApi.as_view(),
        name="tech-inquiry-register",
    ),
    path("contracts/", deals.ContractListApi.as_view(), name="tech-contracts"),
    path(
        "indicators/contracts/",
        deals.ContractTurnoverApi.as_view(),
        name="tech-contract-turnover",
    ),
    path("services/", centre.ServiceRequestListCreateApi.as_view(), name="tech-services"),
    path(
        "services/<int:pk>/advance/",
        centre.ServiceRequestAdvanceApi.as_view(),
        name="tech-service-advance",
    ),
]
