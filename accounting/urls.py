from accounting.pages import PAGES
from accounting.recordpages import record_urls

app_name = "accounting"

urlpatterns = [pattern for page in PAGES for pattern in record_urls(page)]
