import uuid

from coldsend.http.schemas import ResponseModel, Timestamp


class AccountCampaignMapping(ResponseModel):
    campaign_id: uuid.UUID
    campaign_name: str
    timestamp_created: Timestamp
    status: int
