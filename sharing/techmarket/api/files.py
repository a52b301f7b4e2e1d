"""Images and documents of a listing: uploaded by its owner, checked for type and size, stored
under a generated name; served as attachments that cannot run as a page of this site.
Images open to signed-in members, documents only at the full tier (rules.listing_tier)."""

from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.errors import NotFound
from sharing.techmarket import selectors, services
from sharing.techmarket.api.common import listing_or_404
from sharing.techmarket.api.listings import ListingFileSerializer
from sharing.techmarket.models import ListingFile


class ListingFileUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    kind = serializers.ChoiceField(ListingFile.Kind.choices)


class ListingFileUploadApi(APIView):
    """The listing's owner adds an image (PNG, JPEG) or a document (PDF, DOCX), while a draft."""

    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [MultiPartParser]

    @extend_schema(request=ListingFileUploadSerializer, responses={201: ListingFileSerializer})
    def post(self, request, pk: int):
        listing = listing_or_404(request, pk)
        serializer = ListingFileUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = services.listing_file_add(
            user=request.user,
            listing=listing,
            upload=serializer.validated_data["file"],
            kind=serializer.validated_data["kind"],
        )
        return Response(ListingFileSerializer(item).data, status=status.HTTP_201_CREATED)


class ListingFileDownloadApi(APIView):
    """An image for signed-in members who may see the listing; a document at the full tier.
    Anyone else gets 404, as if the file did not exist."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, pk: int):
        try:
            item = selectors.listing_file_get(user=request.user, pk=pk)
        except ListingFile.DoesNotExist:
            raise NotFound(_("文件不存在。")) from None
        response = FileResponse(
            item.file.open("rb"),
            as_attachment=True,
            filename=item.original_name,
            content_type=item.content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response
