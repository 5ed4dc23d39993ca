"""Call actions over the API: start a call from an extension (AMI Originate through the normal
dialplan), list the calls in progress, hang one up."""
