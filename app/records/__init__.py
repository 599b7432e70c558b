"""関わり証明: a person's yearly record of activities (for ふるさと住民登録), its verification
link, and its PDF, JSON and CSV forms."""
