"""The knowledge tree CondorGenerator draws its question themes from: topic -> domain -> themes.

Condor (Cao et al., *Condor: Enhance LLM Alignment with Knowledge-Driven Data Synthesis and
Refinement*) seeds question generation with tags from a world-knowledge tree, so that data made
from nothing still covers many subjects. This tree is streamflow's own: 24 topics, 5 domains
each, 3 themes per domain (360 themes); with the 7 task scenarios that is 2,520 distinct seeds
before sampling adds variety. Pass your own tree to ``CondorQuestionPrompt(tree=...)``.
"""

from __future__ import annotations

__all__ = ["KNOWLEDGE_TREE", "TASK_SCENARIOS"]

KNOWLEDGE_TREE: dict[str, dict[str, list[str]]] = {
    "Health and Medicine": {
        "Nutrition": ["Reading food labels", "Protein needs by age", "Vitamin deficiencies"],
        "Sleep": ["Insomnia habits", "Shift work and sleep", "Napping"],
        "Chronic Conditions": ["Living with diabetes", "Managing asthma", "High blood pressure"],
        "First Aid": ["Treating burns", "Recognising a stroke", "Sprains and strains"],
        "Mental Wellbeing": ["Stress at work", "Building routines", "Talking to a therapist"],
    },
    "Science": {
        "Physics": ["Everyday friction", "How lenses bend light", "Energy conservation"],
        "Chemistry": ["Acids in the kitchen", "Why metals rust", "Reaction rates"],
        "Biology": ["How vaccines train immunity", "Cell division", "Gut bacteria"],
        "Astronomy": ["Phases of the moon", "Life cycle of stars", "Finding exoplanets"],
        "Earth Science": ["How earthquakes start", "The water cycle", "Soil formation"],
    },
    "Technology": {
        "Programming": ["Debugging strategies", "Writing readable functions", "Version control"],
        "Networking": ["How DNS resolves names", "Home Wi-Fi coverage", "What a VPN hides"],
        "Security": ["Password managers", "Phishing emails", "Two-factor authentication"],
        "Hardware": ["Choosing a laptop", "SSD versus HDD", "Battery health"],
        "Artificial Intelligence": ["How chatbots are trained", "Bias in models", "AI at work"],
    },
    "Mathematics": {
        "Arithmetic": ["Mental math tricks", "Percentages in shopping", "Fractions"],
        "Algebra": ["Solving linear equations", "Word problems", "Systems of equations"],
        "Geometry": ["Areas of composite shapes", "The Pythagorean theorem", "Angles"],
        "Probability": ["Dice and cards", "Expected value", "The birthday problem"],
        "Statistics": ["Mean versus median", "Reading a chart honestly", "Sampling bias"],
    },
    "Personal Finance": {
        "Budgeting": ["The 50/30/20 rule", "Tracking expenses", "Irregular income"],
        "Saving": ["Emergency funds", "Saving for a home", "Automating savings"],
        "Investing": ["Index funds", "Diversification", "Risk tolerance"],
        "Debt": ["Credit card interest", "Paying off student loans", "Debt consolidation"],
        "Taxes": ["Filing a first return", "Deductions", "Self-employment tax"],
    },
    "Careers and Work": {
        "Job Search": ["Tailoring a resume", "Cover letters", "Networking events"],
        "Interviews": ["Behavioural questions", "Salary negotiation", "Technical interviews"],
        "Workplace Skills": ["Running meetings", "Giving feedback", "Time management"],
        "Career Change": ["Transferable skills", "Retraining later in life", "Freelancing"],
        "Leadership": ["Delegating", "Leading a remote team", "Handling conflict"],
    },
    "Education and Learning": {
        "Study Skills": ["Spaced repetition", "Note taking", "Exam anxiety"],
        "Languages": ["Learning vocabulary", "Practising speaking", "Grammar basics"],
        "Higher Education": ["Choosing a major", "Applying to graduate school", "Scholarships"],
        "Teaching": ["Lesson planning", "Classroom management", "Assessing students"],
        "Online Learning": ["Staying motivated", "Choosing a course", "Self-taught portfolios"],
    },
    "Cooking and Food": {
        "Techniques": ["Knife skills", "Searing meat", "Emulsions and sauces"],
        "Baking": ["Bread proofing", "Why cakes sink", "Pastry dough"],
        "Meal Planning": ["Cooking for a week", "Feeding a family cheaply", "Leftovers"],
        "World Cuisines": ["Regional curries", "Mediterranean staples", "Fermented foods"],
        "Food Safety": ["Storing leftovers", "Cross-contamination", "Thawing safely"],
    },
    "Travel": {
        "Planning": ["Travel budgets", "Choosing when to go", "Itineraries"],
        "Transport": ["Long-haul flights", "Rail passes", "Renting a car abroad"],
        "Accommodation": ["Hostels versus hotels", "Home swaps", "Booking safely"],
        "Culture": ["Tipping customs", "Local etiquette", "Learning phrases"],
        "Outdoor Travel": ["Multi-day hikes", "Camping gear", "Weather in the mountains"],
    },
    "Environment": {
        "Climate": ["Greenhouse gases", "Carbon footprints", "Adapting cities to heat"],
        "Energy": ["Rooftop solar", "Heat pumps", "Grid storage"],
        "Waste": ["Recycling rules", "Composting", "Reducing packaging"],
        "Biodiversity": ["Pollinators", "Invasive species", "Urban wildlife"],
        "Water": ["Saving water at home", "Drought", "River pollution"],
    },
    "History": {
        "Ancient World": ["Roman roads", "Egyptian writing", "Greek city-states"],
        "Medieval Era": ["Feudal obligations", "The Black Death", "Trade routes"],
        "Modern History": ["The industrial revolution", "Decolonisation", "The Cold War"],
        "History of Science": ["The printing press", "Germ theory", "The space race"],
        "Local History": ["Researching a town", "Old maps", "Oral histories"],
    },
    "Arts and Culture": {
        "Literature": ["Unreliable narrators", "Poetry forms", "Reading classics"],
        "Music": ["Chord progressions", "Learning an instrument", "Music genres"],
        "Visual Arts": ["Colour theory", "Perspective drawing", "Art movements"],
        "Film": ["Story structure", "Cinematography", "Film criticism"],
        "Performing Arts": ["Stage fright", "Improvisation", "Dance styles"],
    },
    "Law and Society": {
        "Consumer Rights": ["Returns and refunds", "Warranties", "Subscription traps"],
        "Housing Law": ["Tenancy deposits", "Repairs and landlords", "Leases"],
        "Employment Law": ["Contracts", "Overtime", "Unfair dismissal"],
        "Civic Life": ["How elections work", "Contacting representatives", "Jury service"],
        "Privacy": ["Personal data requests", "Cameras in public", "Data brokers"],
    },
    "Parenting and Family": {
        "Early Childhood": ["Sleep routines for toddlers", "Tantrums", "Early reading"],
        "School Years": ["Homework help", "Screen time", "Friendships"],
        "Teenagers": ["Independence", "Online safety", "Choosing subjects"],
        "Family Life": ["Sharing chores", "Blended families", "Family budgets"],
        "Caring for Elders": ["Planning care", "Memory loss", "Caregiver burnout"],
    },
    "Relationships": {
        "Communication": ["Active listening", "Apologising well", "Hard conversations"],
        "Dating": ["First dates", "Online dating safety", "Long-distance couples"],
        "Friendship": ["Making friends as an adult", "Drifting apart", "Support in a crisis"],
        "Marriage": ["Dividing finances", "Keeping romance", "Counselling"],
        "Boundaries": ["Saying no", "Toxic dynamics", "Family expectations"],
    },
    "Sports and Fitness": {
        "Running": ["A first 5K", "Avoiding shin splints", "Marathon training"],
        "Strength": ["Progressive overload", "Form for squats", "Home workouts"],
        "Team Sports": ["Football tactics", "Basketball drills", "Team communication"],
        "Recovery": ["Rest days", "Stretching", "Sports injuries"],
        "Sports Science": ["Heart-rate zones", "Hydration", "Training plans"],
    },
    "Home and Garden": {
        "Repairs": ["Fixing a leaky tap", "Patching drywall", "Squeaky doors"],
        "Gardening": ["Growing tomatoes", "Soil health", "Pruning shrubs"],
        "Cleaning": ["Removing mould", "Natural cleaners", "Decluttering"],
        "Home Energy": ["Draught-proofing", "Insulation", "Smart thermostats"],
        "Interior Design": ["Small rooms", "Lighting a room", "Choosing paint"],
    },
    "Pets and Animals": {
        "Dogs": ["House training", "Separation anxiety", "Choosing a breed"],
        "Cats": ["Litter problems", "Indoor enrichment", "Introducing cats"],
        "Small Pets": ["Rabbit care", "Fish tanks", "Hamster habitats"],
        "Pet Health": ["Vaccinations", "Pet insurance", "Dental care"],
        "Wildlife": ["Bird feeders", "Injured wild animals", "Animal migration"],
    },
    "Business and Entrepreneurship": {
        "Starting Up": ["Validating an idea", "Writing a business plan", "Choosing a name"],
        "Marketing": ["Social media for small shops", "Pricing", "Customer reviews"],
        "Operations": ["Inventory", "Hiring a first employee", "Suppliers"],
        "Finance": ["Cash flow", "Bookkeeping", "Raising money"],
        "E-commerce": ["Product photos", "Shipping", "Returns policy"],
    },
    "Transport and Vehicles": {
        "Car Ownership": ["Buying used", "Routine maintenance", "Insurance"],
        "Electric Vehicles": ["Charging at home", "Range", "Battery ageing"],
        "Cycling": ["Commuting by bike", "Bike maintenance", "Road safety"],
        "Public Transit": ["Planning a commute", "Accessibility", "Fares"],
        "Driving Skills": ["Winter driving", "Parallel parking", "Motorway driving"],
    },
    "Psychology": {
        "Habits": ["Breaking bad habits", "Motivation", "Procrastination"],
        "Emotions": ["Anger", "Grief", "Loneliness"],
        "Cognition": ["Memory tricks", "Cognitive biases", "Decision fatigue"],
        "Development": ["Childhood attachment", "Ageing minds", "Identity"],
        "Social Psychology": ["Peer pressure", "Persuasion", "Group decisions"],
    },
    "Media and Communication": {
        "Writing": ["Clear emails", "Editing your own work", "Storytelling"],
        "Public Speaking": ["Opening a talk", "Slides", "Handling questions"],
        "News Literacy": ["Spotting misinformation", "Checking sources", "Statistics in news"],
        "Social Media": ["Building an audience", "Online arguments", "Digital detox"],
        "Journalism": ["Interviewing", "Ethics of reporting", "Local news"],
    },
    "Philosophy and Ethics": {
        "Ethics": ["Lying to protect someone", "Animal welfare", "Effective giving"],
        "Logic": ["Common fallacies", "Valid arguments", "Thought experiments"],
        "Technology Ethics": ["Surveillance", "Automation and jobs", "Algorithmic fairness"],
        "Meaning": ["Purpose at work", "Happiness", "Living with uncertainty"],
        "Political Philosophy": ["Fairness", "Rights and duties", "Civil disobedience"],
    },
    "Games and Hobbies": {
        "Board Games": ["Teaching rules", "Strategy games", "Cooperative games"],
        "Video Games": ["Game design", "Speedrunning", "Healthy gaming"],
        "Crafts": ["Knitting", "Woodworking safety", "Pottery"],
        "Photography": ["Composition", "Low-light shots", "Editing photos"],
        "Collecting": ["Valuing collections", "Stamps", "Trading cards"],
    },
}

TASK_SCENARIOS: list[str] = [
    "Everyday conversation",
    "Creative writing",
    "Role play",
    "Problem solving",
    "Teaching and explanation",
    "Emotional support",
    "Looking up information",
]
