"""ASC X12 004010 and 005010: envelope, 997, TA1, 850, 855, 865, 856, 810, and
the warehouse sets 940, 943, 944, 945, 846 and 947 (see ``WAREHOUSE_*``).

Written from the published standard for the segments commonly traded in these
sets (not every segment of every set). A segment the sender uses that is not
here is reported as unrecognized, never silently accepted; ``width`` lets a
segment carry positions this table does not describe. Code lists are given only
where the list is short and closed (envelope and acknowledgement elements):
an open list that is incomplete here would refuse valid documents.

Tables: ``ref TYPE min max name``; ``TAG name: ref [M] [rN], ...`` (a trailing
backslash continues a line); sets as an indented tree of ``TAG M|O max`` and
``LOOP id M|O max``.
"""

from .schema import build_dictionary

ELEMENTS = """
I01 ID 2 2 Authorization Information Qualifier
I02 AN 10 10 Authorization Information
I03 ID 2 2 Security Information Qualifier
I04 AN 10 10 Security Information
I05 ID 2 2 Interchange ID Qualifier
I06 AN 15 15 Interchange Sender ID
I07 AN 15 15 Interchange Receiver ID
I08 DT 6 6 Interchange Date
I09 TM 4 4 Interchange Time
I10 ID 1 1 Interchange Control Standards Identifier
I11 ID 5 5 Interchange Control Version Number
I12 N0 9 9 Interchange Control Number
I13 ID 1 1 Acknowledgment Requested
I14 ID 1 1 Interchange Usage Indicator
I15 AN 1 1 Component Element Separator
I16 N0 1 5 Number of Included Functional Groups
I17 ID 1 1 Interchange Acknowledgment Code
I18 ID 3 3 Interchange Note Code
2 N0 1 6 Number of Accepted Transaction Sets
19 AN 2 30 City Name
22 AN 1 30 Commodity Code
23 ID 1 1 Commodity Code Qualifier
24 ID 4 4 Equipment Type
26 ID 2 3 Country Code
28 N0 1 9 Group Control Number
40 ID 2 2 Equipment Description Code
54 ID 2 2 Risk of Loss Code
65 R 1 8 Height
66 ID 1 2 Identification Code Qualifier
67 AN 2 80 Identification Code
76 AN 1 22 Invoice Number
79 AN 1 50 Lading Description
80 N0 1 7 Lading Quantity
81 R 1 10 Weight
82 R 1 8 Length
87 AN 1 48 Marks and Numbers
88 ID 1 2 Marks and Numbers Qualifier
91 ID 1 2 Transportation Method/Type Code
92 ID 2 2 Purchase Order Type Code
93 AN 1 60 Name
96 N0 1 10 Number of Included Segments
97 N0 1 6 Number of Transaction Sets Included
98 ID 2 3 Entity Identifier Code
100 ID 3 3 Currency Code
102 ID 1 1 Ownership Code
103 AN 3 5 Packaging Code
107 ID 1 2 Payment Method Code
116 ID 3 15 Postal Code
118 R 1 9 Rate
123 N0 1 6 Number of Received Transaction Sets
124 AN 2 15 Application Receiver's Code
127 AN 1 30 Reference Identification
128 ID 2 3 Reference Identification Qualifier
133 ID 1 2 Routing Sequence Code
140 ID 2 4 Standard Carrier Alpha Code
142 AN 2 15 Application Sender's Code
143 ID 3 3 Transaction Set Identifier Code
146 ID 2 2 Shipment Method of Payment
156 ID 2 2 State or Province Code
166 AN 1 55 Address Information
183 R 1 8 Volume
187 ID 1 2 Weight Qualifier
189 R 1 8 Width
206 AN 1 4 Equipment Initial
207 AN 1 10 Equipment Number
212 R 1 17 Unit Price
225 AN 2 15 Seal Number
234 AN 1 48 Product/Service ID
235 ID 2 2 Product/Service ID Qualifier
248 ID 1 1 Allowance or Charge Indicator
280 R 4 10 Exchange Rate
284 ID 1 2 Service Level Code
306 ID 1 2 Action Code
309 ID 1 2 Location Qualifier
310 AN 1 30 Location Identifier
324 AN 1 22 Purchase Order Number
325 AN 1 20 Tax Identification Number
326 AN 1 45 Request Reference Number
327 AN 1 8 Change Order Sequence Number
328 AN 1 30 Release Number
329 AN 4 9 Transaction Set Control Number
330 R 1 15 Quantity Ordered
331 ID 2 2 Allowance or Charge Method of Handling Code
332 R 1 6 Percent
333 ID 1 2 Terms Basis Date Code
334 ID 2 2 Transportation Terms Qualifier Code
335 ID 3 3 Transportation Terms Code
336 ID 2 2 Terms Type Code
337 TM 4 8 Time
338 R 1 6 Terms Discount Percent
342 R 1 5 Percent of Invoice Payable
347 R 1 10 Hash Total
349 ID 1 1 Item Description Type
350 AN 1 20 Assigned Identification
351 N0 1 3 Terms Discount Days Due
352 AN 1 80 Description
353 ID 2 2 Transaction Set Purpose Code
354 N0 1 6 Number of Line Items
355 ID 2 2 Unit or Basis for Measurement Code
356 N0 1 6 Pack
357 R 1 8 Size
358 R 1 10 Quantity Invoiced
362 N2 1 10 Terms Discount Amount
364 AN 1 80 Communication Number
365 ID 2 2 Communication Number Qualifier
366 ID 2 2 Contact Function Code
367 AN 1 30 Contract Number
368 ID 2 2 Shipment/Order Status Code
369 AN 1 45 Free-form Description
370 DT 8 8 Terms Discount Due Date
373 DT 8 8 Date
374 ID 3 3 Date/Time Qualifier
378 ID 1 1 Allowance/Charge Percent Qualifier
380 R 1 15 Quantity
382 R 1 10 Number of Units Shipped
384 R 1 9 Gross Weight per Pack
385 R 1 9 Gross Volume per Pack
386 N0 1 3 Terms Net Days
387 AN 1 35 Routing
388 DT 8 8 Terms Deferred Due Date
389 N2 1 10 Deferred Amount Due
396 AN 2 30 Shipment Identification
407 ID 2 2 Seal Status Code
441 ID 1 1 Tax Exempt Code
443 AN 1 20 Contact Inquiry Reference
446 DT 8 8 Terms Net Due Date
447 AN 1 6 Loop Identifier Code
455 ID 1 2 Responsible Agency Code
478 ID 1 1 Credit/Debit Flag Code
479 ID 2 2 Functional Identifier Code
480 AN 1 12 Version / Release / Industry Identifier Code
508 AN 1 35 Account Number
522 ID 1 3 Amount Qualifier Code
559 ID 2 2 Agency Qualifier Code
560 ID 2 10 Special Services Code
563 ID 1 2 Sales Requirement Code
566 ID 1 2 Product/Service Substitution Code
587 ID 2 2 Acknowledgment Type
610 N2 1 15 Amount
623 ID 2 2 Time Code
628 AN 1 12 Hierarchical ID Number
639 ID 2 2 Basis of Unit Price Code
640 ID 2 2 Transaction Type Code
641 ID 3 3 Status Reason Code
646 R 1 15 Quantity Shipped to Date
662 ID 1 1 Relationship Code
649 R 1 10 Multiplier
668 ID 2 2 Line Item Status Code
670 ID 2 2 Change or Response Type Code
671 R 1 9 Quantity Left to Receive
669 ID 3 3 Currency Market/Exchange Code
706 ID 2 2 Entity Relationship Code
715 ID 1 1 Functional Group Acknowledge Code
716 ID 1 3 Functional Group Syntax Error Code
717 ID 1 1 Transaction Set Acknowledgment Code
718 ID 1 3 Transaction Set Syntax Error Code
719 N0 1 6 Segment Position in Transaction Set
720 ID 1 3 Segment Syntax Error Code
721 ID 2 3 Segment ID Code
722 N0 1 2 Element Position in Segment
723 ID 1 3 Data Element Syntax Error Code
724 AN 1 99 Copy of Bad Data Element
725 N0 1 4 Data Element Reference Number
728 ID 1 2 Returnable Container Load Make-Up Code
731 ID 2 2 Transit Direction Code
732 ID 2 2 Transit Time Direction Qualifier
733 R 1 4 Transit Time
734 AN 1 12 Hierarchical Parent ID Number
735 ID 1 2 Hierarchical Level Code
736 ID 1 1 Hierarchical Child Code
750 ID 2 3 Product/Process Characteristic Code
751 AN 1 12 Product Description Code
752 ID 2 2 Surface/Layer/Position Code
753 ID 1 5 Packaging Characteristic Code
754 AN 1 7 Packaging Description Code
765 N0 1 2 Day of Month
770 AN 1 20 Option Number
782 R 1 18 Monetary Amount
810 N0 1 6 Inner Pack
819 ID 2 3 Language Code
822 AN 1 15 Source Subqualifier
828 R 1 9 Dollar Basis For Percent
933 AN 1 264 Free-Form Message Text
934 ID 2 2 Printer Carriage Control Code
954 R 1 10 Percent
955 ID 2 2 Tax Jurisdiction Code Qualifier
956 AN 1 10 Tax Jurisdiction Code
963 ID 2 2 Tax Type Code
1004 ID 1 2 Percent Qualifier
1018 R 1 15 Exponent
1005 ID 4 4 Hierarchical Structure Code
1019 ID 3 3 Invoice Type Code
1073 ID 1 1 Yes/No Condition or Response Code
1076 ID 1 3 Change Order Sequence Number
1166 ID 2 2 Contract Type Code
1232 ID 2 2 Acknowledgment Type
1250 ID 2 3 Date Time Period Format Qualifier
1251 AN 1 35 Date Time Period
1300 ID 4 4 Service, Promotion, Allowance, or Charge Code
1301 AN 1 10 Agency Service, Promotion, Allowance, or Charge Code
1470 N0 1 9 Number
1528 N0 1 2 Component Data Element Position in Composite
1715 ID 1 3 Country Subdivision Code
"""

CODES = {
    "I01": "00 01 02 03 04 05 06",
    "I03": "00 01",
    "I13": "0 1",
    "I14": "I P T",
    "I17": "A E R",
    "455": "T X",
    "715": "A E M P R W X",
    "717": "A E M R W X",
    "736": "0 1",
    "248": "A C N",
}

COMPOSITES = """
C001 Composite Unit of Measure: 355 M, 1018, 649, 355, 1018, 649, 355, 1018, 649, \
355, 1018, 649, 355, 1018, 649
C030 Position in Segment: 722 M, 1528
C040 Reference Identifier: 128 M, 127 M, 128, 127, 128, 127
"""

# Envelope and acknowledgement segments, then the business sets' segments.
SEGMENTS = """
ISA Interchange Control Header: I01 M, I02 M, I03 M, I04 M, I05 M, I06 M, I05 M, \
I07 M, I08 M, I09 M, I10 M, I11 M, I12 M, I13 M, I14 M, I15 M
IEA Interchange Control Trailer: I16 M, I12 M
TA1 Interchange Acknowledgment: I12 M, I08 M, I09 M, I17 M, I18 M
GS Functional Group Header: 479 M, 142 M, 124 M, 373 M, 337 M, 28 M, 455 M, 480 M
GE Functional Group Trailer: 97 M, 28 M
ST Transaction Set Header: 143 M, 329 M
SE Transaction Set Trailer: 96 M, 329 M
AK1 Functional Group Response Header: 479 M, 28 M
AK2 Transaction Set Response Header: 143 M, 329 M
AK3 Data Segment Note: 721 M, 719 M, 447, 720
AK4 Data Element Note: C030 M, 725, 723 M, 724
AK5 Transaction Set Response Trailer: 717 M, 718, 718, 718, 718, 718
AK9 Functional Group Response Trailer: 715 M, 97 M, 123 M, 2 M, 716, 716, 716, 716, 716
BEG Beginning Segment for Purchase Order: 353 M, 92 M, 324 M, 328, 373 M, 367, 587, \
1019, 1166, 1232, 640, 1073
BAK Beginning Segment for Purchase Order Acknowledgment: 353 M, 587 M, 324 M, 373 M, \
328, 326, 367, 127, 373, 640
BCA Beginning Segment for Purchase Order Change Acknowledgment: 353 M, 587 M, 324 M, \
328, 327, 373 M, 326, 367, 127, 373, 373
BSN Beginning Segment for Ship Notice: 353 M, 396 M, 373 M, 337 M, 1005, 640, 641
BIG Beginning Segment for Invoice: 373 M, 76 M, 373, 324, 328, 327, 640, 353, 306, 76
CUR Currency: 98 M, 100 M, 280, 98, 100, 669, 374, 373, 337 / width 21
REF Reference Identification: 128 M, 127, 352, C040
PER Administrative Communications Contact: 366 M, 93, 365, 364, 365, 364, 365, 364, 443
FOB F.O.B. Related Instructions: 146 M, 309, 352, 334, 335, 309, 352, 54, 352
CSH Sales Requirements: 563, 306, 610, 508, 373, 560, 566, 954, 522, 1004
SAC Service, Promotion, Allowance, or Charge Information: 248 M, 1300, 559, 1301, \
610, 378, 332, 118, 355, 380, 380, 331, 127, 770, 352, 819
ITD Terms of Sale/Deferred Terms of Sale: 336, 333, 338, 370, 351, 446, 386, 362, \
388, 389, 342, 352, 765, 107, 954
DTM Date/Time Reference: 374 M, 373, 337, 623, 1250, 1251
PKG Marking, Packaging, Loading: 349, 753, 559, 754, 352, 819
TD1 Carrier Details (Quantity and Weight): 103, 80, 23, 22, 79, 187, 81, 355, 183, 355
TD5 Carrier Details (Routing Sequence/Transit Time): 133, 66, 67, 91, 387, 368, 309, \
310, 731, 732, 733, 284, 284, 284, 26
TD3 Carrier Details (Equipment): 40, 206, 207, 187, 81, 355, 102, 407, 225, 24
MAN Marks and Numbers: 88 M, 87 M, 87, 88, 87, 87
N9 Reference Identification: 128 M, 127, 369, 373, 337, 623, C040
MSG Message Text: 933 M, 934, 1470
N1 Name: 98 M, 93, 66, 67, 706, 98
N2 Additional Name Information: 93 M, 93
N3 Address Information: 166 M, 166
N4 Geographic Location: 19, 156, 116, 26, 309, 310, 1715
PO1 Baseline Item Data: 350, 330, 355, 212, 639, 235, 234, 235, 234, 235, 234, 235, \
234, 235, 234, 235, 234, 235, 234, 235, 234, 235, 234, 235, 234
POC Line Item Change: 350, 670 M, 330, 671, C001, 212, 639, 235, 234, 235, 234, 235, \
234, 235, 234, 235, 234, 235, 234, 235, 234, 235, 234, 235, 234, 235, 234
PID Product/Item Description: 349 M, 750, 559, 751, 352, 752, 822, 1073, 819
PO4 Item Physical Details: 356, 357, 355, 103, 187, 384, 355, 385, 355, 82, 189, 65, \
355, 810, 752, 350, 350, 1470
ACK Line Item Acknowledgment: 668 M, 380, 355, 374, 373, 326, 235, 234, 235, 234, 235, \
234, 235, 234, 235, 234, 235, 234, 235, 234, 235, 234, 235, 234, 235, 234, 235, 234, 559
SCH Line Item Schedule: 380 M, 355 M, 98, 93, 374 M, 373 M, 337, 374, 373, 337, 326, 350
CTT Transaction Totals: 354 M, 347, 81, 355, 183, 355, 352
AMT Monetary Amount: 522 M, 782 M, 478
HL Hierarchical Level: 628 M, 734, 735 M, 736
LIN Item Identification: 350, 235 M, 234 M, 235, 234, 235, 234, 235, 234, 235, 234, \
235, 234, 235, 234, 235, 234, 235, 234, 235, 234, 235, 234, 235, 234, 235, 234, 235, \
234, 235, 234
SN1 Item Detail (Shipment): 350, 382 M, 355 M, 646, 330, 355, 728, 668
PRF Purchase Order Reference: 324 M, 328, 1076, 373, 350, 367, 92
IT1 Baseline Item Data (Invoice): 350, 358, 355, 212, 639, 235, 234, 235, 234, 235, \
234, 235, 234, 235, 234, 235, 234, 235, 234, 235, 234, 235, 234, 235, 234
TDS Total Monetary Value Summary: 610 M, 610, 610, 610
TXI Tax Information: 963 M, 782, 954, 955, 956, 441, 662, 828, 325, 350
CAD Carrier Detail: 91, 206, 207, 140, 387, 368, 128, 127, 284, 140
"""

# Positions in each set follow the 004010 standard's table order.
SETS = """
997 FA Functional Acknowledgment
  ST M 1
  AK1 M 1
  LOOP AK2 O >1
    AK2 M 1
    LOOP AK3 O >1
      AK3 M 1
      AK4 O 99
    AK5 M 1
  AK9 M 1
  SE M 1

850 PO Purchase Order
  ST M 1
  BEG M 1
  CUR O 1
  REF O >1
  PER O 3
  FOB O >1
  LOOP SAC O 25
    SAC M 1
    CUR O 1
  CSH O 5
  ITD O >1
  DTM O 10
  PKG O 200
  TD1 O 2
  TD5 O 12
  TD3 O 12
  MAN O 10
  LOOP N9 O 1000
    N9 M 1
    DTM O >1
    MSG O 1000
  LOOP N1 O 200
    N1 M 1
    N2 O 2
    N3 O 2
    N4 O >1
    REF O 12
    PER O >1
    FOB O 1
    TD1 O 2
    TD5 O 12
    TD3 O 12
    PKG O 200
  LOOP PO1 M 100000
    PO1 M 1
    CUR O 1
    LOOP PID O 1000
      PID M 1
    PO4 O >1
    REF O >1
    PER O 3
    LOOP SAC O 25
      SAC M 1
      CUR O 1
    CSH O 1
    ITD O 2
    DTM O 10
    TD1 O 1
    TD5 O 12
    TD3 O 12
    MAN O 10
    TXI O >1
    LOOP SCH O 200
      SCH M 1
      TD1 O 2
      TD5 O 1
      TD3 O 1
      REF O >1
    LOOP N9 O 1000
      N9 M 1
      DTM O >1
      MSG O 1000
    LOOP N1 O 200
      N1 M 1
      N2 O 2
      N3 O 2
      N4 O 1
      REF O 12
      PER O 3
      FOB O 1
      SCH O 200
      TD1 O 1
      TD5 O 12
      TD3 O 12
      PKG O 200
  LOOP CTT O 1
    CTT M 1
    AMT O 1
  SE M 1

855 PR Purchase Order Acknowledgment
  ST M 1
  BAK M 1
  CUR O 1
  REF O >1
  PER O 3
  FOB O >1
  CSH O 5
  LOOP SAC O 25
    SAC M 1
    CUR O 1
  ITD O >1
  DTM O 10
  PKG O 200
  TD1 O 2
  TD5 O 12
  TD3 O 12
  MAN O 10
  LOOP N9 O 1000
    N9 M 1
    DTM O >1
    MSG O 1000
  LOOP N1 O 200
    N1 M 1
    N2 O 2
    N3 O 2
    N4 O >1
    REF O 12
    PER O >1
    FOB O 1
    TD1 O 2
    TD5 O 12
    TD3 O 12
    PKG O 200
  LOOP PO1 O 100000
    PO1 M 1
    CUR O 1
    LOOP PID O 1000
      PID M 1
    PO4 O >1
    REF O >1
    PER O 3
    LOOP SAC O 25
      SAC M 1
      CUR O 1
    CSH O 1
    ITD O 2
    DTM O 10
    TD1 O 1
    TD5 O 12
    TD3 O 12
    MAN O 10
    TXI O >1
    LOOP ACK O 104
      ACK M 1
      DTM O 10
    LOOP SCH O 200
      SCH M 1
      TD1 O 2
      TD5 O 1
      TD3 O 1
      REF O >1
    LOOP N9 O 1000
      N9 M 1
      DTM O >1
      MSG O 1000
    LOOP N1 O 200
      N1 M 1
      N2 O 2
      N3 O 2
      N4 O 1
      REF O 12
      PER O 3
  LOOP CTT O 1
    CTT M 1
    AMT O 1
  SE M 1

865 CA Purchase Order Change Acknowledgment/Request - Seller Initiated
  ST M 1
  BCA M 1
  CUR O 1
  REF O >1
  PER O 3
  FOB O >1
  CSH O 5
  LOOP SAC O 25
    SAC M 1
    CUR O 1
  ITD O >1
  DTM O 10
  PKG O 200
  TD1 O 2
  TD5 O 12
  TD3 O 12
  MAN O 10
  LOOP N9 O 1000
    N9 M 1
    DTM O >1
    MSG O 1000
  LOOP N1 O 200
    N1 M 1
    N2 O 2
    N3 O 2
    N4 O >1
    REF O 12
    PER O >1
    FOB O 1
    TD1 O 2
    TD5 O 12
    TD3 O 12
    PKG O 200
  LOOP POC O 100000
    POC M 1
    CUR O 1
    LOOP PID O 1000
      PID M 1
    PO4 O >1
    REF O >1
    PER O 3
    LOOP SAC O 25
      SAC M 1
      CUR O 1
    CSH O 1
    ITD O 2
    DTM O 10
    TD1 O 1
    TD5 O 12
    TD3 O 12
    MAN O 10
    TXI O >1
    LOOP ACK O 104
      ACK M 1
      DTM O 10
    LOOP SCH O 104
      SCH M 1
      TD1 O 2
      TD5 O 1
      TD3 O 1
      REF O >1
    LOOP N9 O 1000
      N9 M 1
      DTM O >1
      MSG O 1000
    LOOP N1 O 200
      N1 M 1
      N2 O 2
      N3 O 2
      N4 O 1
      REF O 12
      PER O 3
  LOOP CTT O 1
    CTT M 1
    AMT O 1
  SE M 1

856 SH Ship Notice/Manifest
  ST M 1
  BSN M 1
  DTM O 10
  LOOP HL M 200000
    HL M 1
    LIN O 1
    SN1 O 1
    PRF O 1
    PO4 O 1
    PID O 200
    TD1 O 20
    TD5 O 12
    TD3 O 12
    REF O >1
    PER O 3
    MAN O >1
    DTM O 10
    FOB O 1
    LOOP N1 O 200
      N1 M 1
      N2 O 2
      N3 O 2
      N4 O 1
      REF O 12
      PER O 3
  CTT O 1
  SE M 1

810 IN Invoice
  ST M 1
  BIG M 1
  CUR O 1
  REF O 12
  PER O 3
  LOOP N1 O 200
    N1 M 1
    N2 O 2
    N3 O 2
    N4 O 1
    REF O 12
    PER O 3
  ITD O >1
  DTM O 10
  FOB O 1
  PID O 200
  PKG O 25
  TD1 O 2
  TD5 O 12
  TD3 O 12
  LOOP IT1 O 200000
    IT1 M 1
    CUR O 1
    LOOP PID O 1000
      PID M 1
    PO4 O 1
    REF O >1
    DTM O 10
    LOOP SAC O 25
      SAC M 1
      TXI O 10
    TXI O 10
  TDS M 1
  TXI O 10
  CAD O 1
  LOOP SAC O 25
    SAC M 1
    TXI O 10
  LOOP ISS O >1
    ISS M 1
  CTT O 1
  SE M 1
"""

ISS_SEGMENT = """
ISS Invoice Shipment Summary: 382 M, 355 M, 81, 355
"""

# What 005010 changes in what this dictionary covers.
ELEMENTS_005010 = """
127 AN 1 50 Reference Identification
1705 AN 1 35 Implementation Convention Reference
1686 N0 1 4 Repeating Data Element Position
I65 AN 1 1 Repetition Separator
"""

COMPOSITES_005010 = """
C030 Position in Segment: 722 M, 1528, 1686
"""

SEGMENTS_005010 = """
ISA Interchange Control Header: I01 M, I02 M, I03 M, I04 M, I05 M, I06 M, I05 M, \
I07 M, I08 M, I09 M, I65 M, I11 M, I12 M, I13 M, I14 M, I15 M
ST Transaction Set Header: 143 M, 329 M, 1705
AK1 Functional Group Response Header: 479 M, 28 M, 480
AK2 Transaction Set Response Header: 143 M, 329 M, 1705
AK4 Data Element Note: C030 M, 725, 723 M, 724
"""


# Warehouse (3PL) sets, 004010. Where the standard defines more positions than
# the 3PLs' guides commonly use, only the leading ones are described and
# ``width`` carries the rest unchecked (see the module docstring).
WAREHOUSE_ELEMENTS = """
145 AN 1 30 Shipment Identification Number
176 ID 1 2 Time Qualifier
181 ID 2 2 Quantity or Status Adjustment Reason Code
285 AN 1 22 Depositor Order Number
363 ID 3 3 Note Reference Code
394 AN 1 12 Warehouse Receipt Number
412 ID 2 2 Receiving Condition Code
432 ID 2 2 Date Qualifier
438 AN 12 12 U.P.C. Case Code
451 AN 1 12 Warehouse Lot Number
473 ID 1 1 Order Status Code
477 R 1 10 Credit/Debit Quantity
514 ID 1 1 Reporting Code
531 AN 1 12 Agent Shipment ID Number
554 N0 1 6 Assigned Number
673 ID 2 2 Quantity Qualifier
755 ID 2 2 Report Type Code
853 ID 2 2 Damage Reason Code
"""

WAREHOUSE_SEGMENTS = """
W05 Shipping Order Identification: 473 M, 285 M, 324 / width 8
W06 Warehouse Shipment Identification: 514 M, 285, 373, 145, 531, 324 / width 12
W17 Warehouse Receipt Identification: 514 M, 373 M, 394 M, 285, 145 / width 9
W15 Warehouse Adjustment Identification: 373 M / width 6
W01 Line Item Detail - Warehouse: 330 M, 355 M, 438, 235, 234, 235, 234 / width 16
W04 Item Detail Total: 382 M, 355 M, 438, 235, 234, 235, 234 / width 15
W07 Item Detail For Stock Receipt: 380 M, 355 M, 438, 235, 234, 235, 234, 451 \
/ width 11
W12 Warehouse Item Detail: 368 M, 330, 382, 380, 355, 438, 235, 234, 451 / width 22
W13 Item Detail Exception: 380 M, 355 M, 412 M, 451, 853
W19 Warehouse Adjustment Item Detail: 181 M, 477 M, 355 M, 438, 235, 234, 235, 234, \
451 / width 18
W20 Line Item Detail - Miscellaneous: 356, 357, 355, 81, 187 / width 10
W27 Carrier Detail: 91 M, 140, 387, 146 / width 10
W66 Warehouse Carrier Information: 146 M, 91 M / width 10
W03 Total Shipment Information: 382 M / width 7
W14 Total Receipt Information: 380 M / width 5
W76 Total Shipping Order: 330 M / width 6
G62 Date/Time: 432, 373, 176, 337, 623
LX Assigned Number: 554 M
NTE Note/Special Instruction: 363, 352 M
BIA Beginning Segment for Inventory Inquiry/Advice: 353 M, 755 M, 127 M, 373 M, 337
QTY Quantity: 673 M, 380, C001 / width 4
"""

# Positions follow the 004010 tables; segments of a set that 3PLs rarely send
# (rail, hazardous material, freight details) are left out and would be reported
# as unrecognized.
WAREHOUSE_SETS = """
940 OW Warehouse Shipping Order
  ST M 1
  W05 M 1
  LOOP N1 O 10
    N1 M 1
    N2 O 2
    N3 O 2
    N4 O 1
    PER O 5
  N9 O 10
  G62 O 10
  NTE O >1
  W66 O 1
  LOOP LX O >1
    LX M 1
    MAN O >1
    LOOP W01 O >1
      W01 M 1
      N9 O 200
      NTE O >1
      W20 O 3
      G62 O 10
  W76 O 1
  SE M 1

943 AR Warehouse Stock Transfer Shipment Advice
  ST M 1
  W06 M 1
  LOOP N1 M 10
    N1 M 1
    N2 O 1
    N3 O 2
    N4 O 1
    PER O 5
  N9 O 10
  G62 O 5
  NTE O 20
  W27 M 1
  LOOP W04 M 9999
    W04 M 1
    N9 O 200
    W20 O 2
  W03 M 1
  SE M 1

944 RE Warehouse Stock Transfer Receipt Advice
  ST M 1
  W17 M 1
  LOOP N1 M 10
    N1 M 1
    N2 O 1
    N3 O 2
    N4 O 1
    PER O 5
  N9 O 10
  G62 O 5
  NTE O 20
  LOOP W07 M 9999
    W07 M 1
    N9 O 200
    W20 O 2
    LOOP W13 O 50
      W13 M 1
      N9 O 200
  W14 M 1
  SE M 1

945 SW Warehouse Shipping Advice
  ST M 1
  W06 M 1
  LOOP N1 M 10
    N1 M 1
    N2 O 1
    N3 O 2
    N4 O 1
    PER O 5
  N9 O 10
  G62 O 5
  NTE O 20
  W27 O 1
  LOOP LX O >1
    LX M 1
    MAN O >1
    N9 O 5
    LOOP W12 O >1
      W12 M 1
      N9 O 200
      G62 O 10
      QTY O 10
  W03 O 1
  SE M 1

846 IB Inventory Inquiry/Advice
  ST M 1
  BIA M 1
  DTM O 10
  REF O 12
  LOOP N1 O 5
    N1 M 1
    N2 O 2
    N3 O 2
    N4 O 1
    REF O 12
    PER O 3
  LOOP LIN M 10000
    LIN M 1
    PID O 200
    DTM O 10
    REF O >1
    LOOP QTY O 99
      QTY M 1
      DTM O 10
  CTT O 1
  SE M 1

947 AW Warehouse Inventory Adjustment Advice
  ST M 1
  W15 M 1
  LOOP N1 M 100
    N1 M 1
    N2 O 1
    N3 O 1
    N4 O 1
    PER O 5
  N9 O 10
  G62 O 5
  NTE O 20
  LOOP W19 M >1
    W19 M 1
    N9 O 10
    G62 O 10
  SE M 1
"""


X12_004010 = build_dictionary(
    "X12",
    "004010",
    elements=[ELEMENTS, WAREHOUSE_ELEMENTS],
    composites=[COMPOSITES],
    segments=[SEGMENTS, ISS_SEGMENT, WAREHOUSE_SEGMENTS],
    sets=[SETS, WAREHOUSE_SETS],
    codes=[CODES],
)

X12_005010 = X12_004010.extended(
    "005010",
    elements=ELEMENTS_005010,
    composites=COMPOSITES_005010,
    segments=SEGMENTS_005010,
)
