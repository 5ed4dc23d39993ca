"""Call detail records: from Asterisk over AMI, encrypted to the privacy key (issue 13, point 5)."""
