declare module "amazon-cognito-identity-js/lib/BigInteger";
