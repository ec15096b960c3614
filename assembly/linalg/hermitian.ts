// placeholder: being written
export const __placeholder_hermitian: i32 = 0;
