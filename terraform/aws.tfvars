# Workspace `aws`: replace every <...> with your account's values (README: what a user must provide).
# Credentials come from your AWS CLI profile / SSO session (AWS_PROFILE), never from this file.
target = "aws"
region = "eu-west-1"

aws = {
  vpc_id              = "vpc-0123456789abcdef0"                                                              # <your VPC>
  private_subnet_ids  = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2", "subnet-0ccccccccccccccc3"] # <3 private subnets, 3 AZs, NAT or VPC endpoints>
  public_subnet_ids   = ["subnet-0ddddddddddddddd4", "subnet-0eeeeeeeeeeeeeee5"]                             # <public subnets for the webhook load balancer>
  api_image           = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/icefloe-api@sha256:<digest>"
  api_certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/<id>" # <ACM certificate of the webhook hostname>
  log_retention_days  = 365
}

# Built by `icefloe flink package` (the PyFlink runner, its SQL, sources.yaml and one uber jar).
stream_application_zip = "../dist/icefloe-flink-app.zip"

# Leave empty on AWS: the signing secrets are Secrets Manager secrets whose values you set yourself.
webhook_secrets = {}
