/**
 * What S3-compatible object storage needs from the AWS SDKs that talk to it. Pure: no cdk8s imports.
 */

/** The SDK checksum modes: when_supported (the SDKs' default since 2025) or when_required. */
export type S3ChecksumMode = 'when_required' | 'when_supported';

/** True when the endpoint is Amazon S3 itself (any region, dual-stack, FIPS, VPC endpoint, China). */
export function isAwsS3Endpoint(endpointURL: string): boolean {
  return /(^|\.)amazonaws\.com(\.cn)?$/.test(new URL(endpointURL).hostname);
}

/**
 * AWS_REQUEST_CHECKSUM_CALCULATION and AWS_RESPONSE_CHECKSUM_VALIDATION for an endpoint. The SDKs
 * (aws-sdk-s3 >= 1.178 for Ruby, boto3 >= 1.36) send x-amz-checksum-crc32 on every upload by
 * default, which Backblaze B2 and other S3-compatible stores refuse (mastodon/mastodon#33624);
 * `when_required` sends a checksum only where the operation requires one. Both SDKs read these
 * variables (aws/aws-sdk-ruby gems/aws-sdk-core/lib/aws-sdk-core/plugins/checksum_algorithm.rb,
 * `resolve_request_checksum_calculation`, `resolve_response_checksum_validation`).
 * @param mode the mode to set; @default when_required for a non-AWS endpoint, nothing for AWS
 */
export function s3ChecksumEnv(endpointURL: string, mode?: S3ChecksumMode): Record<string, string> {
  const m = mode ?? (isAwsS3Endpoint(endpointURL) ? undefined : 'when_required');
  return m ? { AWS_REQUEST_CHECKSUM_CALCULATION: m, AWS_RESPONSE_CHECKSUM_VALIDATION: m } : {};
}
