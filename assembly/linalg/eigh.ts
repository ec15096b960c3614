// placeholder: being written
export const __placeholder_eigh: i32 = 0;
