// placeholder: being written
export const __placeholder_cholesky: i32 = 0;
